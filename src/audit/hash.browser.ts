/**
 * hash.ts for the console's browser bundle (scripts/build-console.mjs picks a `.browser.ts`
 * twin over its module): the same RFC 9162 section 2.1.1 hashes on @noble/hashes, since a
 * browser has no node:crypto and WebCrypto's digest is asynchronous.
 */
import { sha256 as nobleSha256 } from '@noble/hashes/sha2.js';

const LEAF_PREFIX = 0x00;
const NODE_PREFIX = 0x01;
const encoder = new TextEncoder();

export const HASH_SIZE = 32;

function bytes(data: Uint8Array | string): Uint8Array {
  return typeof data === 'string' ? encoder.encode(data) : data;
}

export function sha256(...parts: (Uint8Array | string)[]): Uint8Array {
  const h = nobleSha256.create();
  for (const part of parts) h.update(bytes(part));
  return h.digest();
}

export function leafHash(data: Uint8Array | string): Uint8Array {
  return sha256(new Uint8Array([LEAF_PREFIX]), data);
}

export function nodeHash(left: Uint8Array, right: Uint8Array): Uint8Array {
  return sha256(new Uint8Array([NODE_PREFIX]), left, right);
}

export const EMPTY_ROOT: Uint8Array = sha256();

export function sameHash(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
