/**
 * The broker protocol, as both ends read it: constants, request pieces and answer shapes.
 * Browser-safe: types, strings and plain objects only, no Node API (the console imports it).
 */
export * from './constants.js';
export * from './documents.js';
export * from './answers.js';
export * from './tpm.js';
