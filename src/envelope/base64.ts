/**
 * Canonical base64 (RFC 4648 standard alphabet, no padding), as every envelope argument and
 * body is written. Decoding refuses anything but the one canonical text of its bytes:
 * padding, other alphabets, whitespace, and stray low bits in the last character.
 */
import { SectorCryptError } from '../errors.js';

const ALPHABET = /^[A-Za-z0-9+/]*$/;

export function encodeBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64').replace(/=+$/, '');
}

/** ERR_CORRUPT_HEADER unless `text` is the canonical unpadded base64 of some bytes. */
export function decodeBase64(text: string, what: string): Uint8Array {
  if (!ALPHABET.test(text) || text.length % 4 === 1) {
    throw new SectorCryptError('ERR_CORRUPT_HEADER', `${what} is not unpadded base64`);
  }
  const bytes = new Uint8Array(Buffer.from(text, 'base64'));
  // Re-encoding gives the one canonical form; any difference means stray bits.
  if (encodeBase64(bytes) !== text) {
    throw new SectorCryptError('ERR_CORRUPT_HEADER', `${what} is not canonical base64`);
  }
  return bytes;
}
