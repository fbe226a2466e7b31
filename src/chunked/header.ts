/**
 * The 56-byte message header, salt || commitment, and the ChunkCipher it keys. The
 * commitment is checked (in constant time) before any chunk is opened.
 */
import { randomBytes } from 'node:crypto';
import { SectorCryptError } from '../errors.js';
import { equalConstantTime, wipe } from '../bytes.js';
import { ChunkCipher } from './chunk-cipher.js';
import { deriveMessageKeys } from './derive.js';
import { checkInputKey, contextBytes, HEADER, SALT, type ChunkedOptions } from './params.js';

export interface SealedHeader {
  header: Uint8Array;
  cipher: ChunkCipher;
}

/** A fresh random salt, its commitment, and the cipher for the chunks that follow. */
export function sealHeader(inputKey: Uint8Array, opts: ChunkedOptions): SealedHeader {
  const key = checkInputKey(inputKey);
  const context = contextBytes(opts.context);
  const salt = new Uint8Array(randomBytes(SALT));
  const derived = deriveMessageKeys(key, salt, context);
  try {
    const header = new Uint8Array(HEADER);
    header.set(salt, 0);
    header.set(derived.commitment, SALT);
    return { header, cipher: new ChunkCipher(derived.key, derived.baseNonce, opts.backend) };
  } finally {
    wipe(derived.key, derived.baseNonce);
  }
}

/**
 * Checks the commitment in `header` (56 bytes, or fewer when the input ended early) and
 * returns the cipher for the chunks. ERR_TRUNCATED when short, ERR_AUTH on a mismatch:
 * wrong key, wrong context or a damaged header.
 */
export function openHeader(inputKey: Uint8Array, header: Uint8Array, opts: ChunkedOptions): ChunkCipher {
  const key = checkInputKey(inputKey);
  const context = contextBytes(opts.context);
  if (header.length < HEADER) {
    throw new SectorCryptError('ERR_TRUNCATED', `ciphertext ends inside the ${HEADER}-byte header`);
  }
  const derived = deriveMessageKeys(key, header.subarray(0, SALT), context);
  try {
    if (!equalConstantTime(derived.commitment, header.subarray(SALT, HEADER))) {
      throw new SectorCryptError('ERR_AUTH', 'key commitment does not match (wrong key or context, or damaged header)');
    }
    return new ChunkCipher(derived.key, derived.baseNonce, opts.backend);
  } finally {
    wipe(derived.key, derived.baseNonce);
  }
}
