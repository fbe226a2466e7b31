/**
 * The payload is a Cobblestone-256 message (c2sp.org/chunked-encryption) under the payload
 * key, with the 23-byte context "sectorcrypt-envelope/v1" (docs/envelope.md "How it works"). These are the
 * options every envelope entry point hands to src/chunked/.
 */
import type { BackendChoice } from '../backend/select.js';
import type { ChunkedOptions } from '../chunked/params.js';
import { LABEL } from './format.js';

export const PAYLOAD_CONTEXT = new TextEncoder().encode(LABEL);

export function payloadOptions(backend?: BackendChoice): ChunkedOptions {
  return backend === undefined ? { context: PAYLOAD_CONTEXT } : { context: PAYLOAD_CONTEXT, backend };
}
