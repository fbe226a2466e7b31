/**
 * The body of a message after its header: whole 16 KiB chunks, then one shorter final
 * chunk. sealBody/openBody do a whole body (the one-shot calls) or the rest of a stream.
 */
import { SectorCryptError } from '../errors.js';
import { BATCH_CHUNKS, checkChunkRange, CHUNK, SLOT, TAG } from './params.js';
import type { ChunkCipher } from './chunk-cipher.js';
import { newOutput } from '../output.js';

/** Sealed length of a body holding `plainLength` bytes. */
export function sealedBodyLength(plainLength: number): number {
  const full = Math.floor(plainLength / CHUNK);
  return full * SLOT + (plainLength - full * CHUNK) + TAG;
}

export interface BodyLayout {
  /** Whole slots before the final chunk. */
  full: number;
  /** Sealed bytes of the final chunk, 16 .. 16 KiB + 15. */
  final: number;
}

/**
 * Where the final chunk is, from the sealed body length alone. The final chunk is the
 * remainder after whole slots; no remainder, or one shorter than a tag, is truncation.
 */
export function bodyLayout(sealedLength: number, first = 0): BodyLayout {
  const full = Math.floor(sealedLength / SLOT);
  const final = sealedLength - full * SLOT;
  checkChunkRange(first, full + 1);
  if (final === 0) throw new SectorCryptError('ERR_TRUNCATED', 'ciphertext ends without its final (short) chunk');
  if (final < TAG) throw new SectorCryptError('ERR_TRUNCATED', 'ciphertext ends inside the tag of its final chunk');
  return { full, final };
}

/** Seals `plain` as chunks `first`, `first+1`, ...: whole chunks, then the final one. */
export function sealBody(
  cipher: ChunkCipher,
  plain: Uint8Array,
  first: number,
  out = newOutput(sealedBodyLength(plain.length)),
): Uint8Array {
  const full = Math.floor(plain.length / CHUNK);
  checkChunkRange(first, full + 1);
  cipher.sealFull(plain.subarray(0, full * CHUNK), first, out.subarray(0, full * SLOT));
  cipher.sealFinal(plain.subarray(full * CHUNK), first + full, out.subarray(full * SLOT));
  return out;
}

/**
 * Opens a sealed body that ends the message. Whole slots are opened in order, a batch at
 * a time, so the first bad chunk is the one reported (as a stream would); then the length
 * rules; then the final chunk. Returns no plaintext unless all of it authenticated.
 */
export function openBody(cipher: ChunkCipher, sealed: Uint8Array, first: number): Uint8Array {
  const full = Math.floor(sealed.length / SLOT);
  // Filled whole by the opens, or zeroed when one fails.
  const out = newOutput(full * CHUNK + Math.max(0, sealed.length - full * SLOT - TAG));
  try {
    for (let i = 0; i < full; i += BATCH_CHUNKS) {
      const n = Math.min(BATCH_CHUNKS, full - i);
      cipher.openFull(sealed.subarray(i * SLOT, (i + n) * SLOT), first + i, out.subarray(i * CHUNK, (i + n) * CHUNK));
    }
    bodyLayout(sealed.length, first);
    cipher.openFinal(sealed.subarray(full * SLOT), first + full, out.subarray(full * CHUNK));
    return out;
  } catch (err) {
    out.fill(0);
    throw err;
  }
}
