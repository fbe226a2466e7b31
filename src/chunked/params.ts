/**
 * Constants and argument checks of C2SP chunked encryption (c2sp.org/chunked-encryption),
 * Cobblestone-128 and Cobblestone-256: SHA-512 HKDF-Expand with AES-128-GCM or AES-256-GCM.
 */
import { SectorCryptError } from '../errors.js';
import { GCM_TAG_BYTES } from '../limits.js';
import { isBytes } from '../bytes.js';
import { checkOptionKeys } from '../options.js';
import type { BackendChoice } from '../backend/select.js';

/** Plaintext bytes per chunk; the final chunk is always shorter (possibly empty). */
export const CHUNK = 16384;
export const TAG = GCM_TAG_BYTES;
/** A sealed full chunk: ciphertext || tag. */
export const SLOT = CHUNK + TAG;
export const SALT = 24;
export const COMMITMENT = 32;
/** salt || commitment, in front of the first chunk. */
export const HEADER = SALT + COMMITMENT;
export const NONCE = 12;
/** Chunk indexes must stay below 2^38 (the spec's abort rule). */
export const MAX_CHUNKS = 2 ** 38;
/** Full chunks per batch call: 1 MiB of plaintext. */
export const BATCH_CHUNKS = 64;

export interface ChunkedOptions {
  /** Bound into the key derivation; a string is encoded as UTF-8. Default empty. */
  context?: Uint8Array | string;
  backend?: BackendChoice;
}

/** The IANA AEAD name that goes into the HKDF info, by input key length. */
export function aeadName(keyLength: number): string {
  return keyLength === 16 ? 'AEAD_AES_128_GCM' : 'AEAD_AES_256_GCM';
}

export function checkInputKey(key: unknown): Uint8Array {
  if (!isBytes(key) || (key.length !== 16 && key.length !== 32)) {
    throw new SectorCryptError(
      'ERR_KEY_LENGTH',
      'chunked encryption key must be a Uint8Array of 16 bytes (Cobblestone-128) or 32 bytes (Cobblestone-256)',
    );
  }
  return key;
}

export function checkOptions(opts: unknown): ChunkedOptions {
  return checkOptionKeys(opts as ChunkedOptions | undefined, ['context', 'backend'], 'chunked encryption options');
}

export function contextBytes(context: unknown): Uint8Array {
  if (context === undefined) return new Uint8Array(0);
  if (typeof context === 'string') return new TextEncoder().encode(context);
  if (isBytes(context)) return context;
  throw new SectorCryptError('ERR_ARGUMENT', 'context must be a string or a Uint8Array');
}

/** Throws unless chunks first .. first+count-1 all have indexes below 2^38. */
export function checkChunkRange(first: number, count: number): void {
  if (first + count > MAX_CHUNKS) {
    throw new SectorCryptError('ERR_DATA_LENGTH', 'message exceeds 2^38 chunks (4 PiB), the chunked-encryption limit');
  }
}
