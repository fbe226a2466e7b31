/** encryptChunked / decryptChunked: a whole message in memory. */
import { checkBytes } from '../bytes.js';
import { newOutput } from '../output.js';
import { openHeader, sealHeader } from './header.js';
import { checkOptions, HEADER, type ChunkedOptions } from './params.js';
import { openBody, sealBody, sealedBodyLength } from './tail.js';

/** salt || commitment || sealed chunks, under a fresh random salt. */
export function encryptChunked(key: Uint8Array, plaintext: Uint8Array, opts?: ChunkedOptions): Uint8Array {
  const options = checkOptions(opts);
  const plain = checkBytes(plaintext, 'plaintext');
  const { header, cipher } = sealHeader(key, options);
  try {
    // The header and every sealed chunk fill it whole, so it needs no zero fill.
    const out = newOutput(HEADER + sealedBodyLength(plain.length));
    out.set(header, 0);
    sealBody(cipher, plain, 0, out.subarray(HEADER));
    return out;
  } finally {
    cipher.destroy();
  }
}

/**
 * Checks the commitment, then every chunk; returns the plaintext only if all of it
 * authenticated. ERR_AUTH, ERR_TRUNCATED or ERR_TRAILING_DATA otherwise.
 */
export function decryptChunked(key: Uint8Array, ciphertext: Uint8Array, opts?: ChunkedOptions): Uint8Array {
  const options = checkOptions(opts);
  const sealed = checkBytes(ciphertext, 'ciphertext');
  const cipher = openHeader(key, sealed.subarray(0, HEADER), options);
  try {
    return openBody(cipher, sealed.subarray(HEADER), 0);
  } finally {
    cipher.destroy();
  }
}
