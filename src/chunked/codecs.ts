/**
 * Chunked encryption as batch codecs for the stream drivers (src/stream/): full chunks go
 * 64 at a time to the thread pool; the rest, at the end, is sealed or opened whole.
 */
import type { BatchCodec } from '../stream/codec.js';
import type { ChunkCipher } from './chunk-cipher.js';
import { BATCH_CHUNKS, CHUNK, SLOT } from './params.js';
import { openBody, sealBody } from './tail.js';

/** Seals chunks; emits `header` (if any) first. */
export function sealCodec(cipher: ChunkCipher, header?: Uint8Array): BatchCodec {
  let next = 0;
  return {
    headBytes: 0,
    unit: CHUNK,
    batchBytes: BATCH_CHUNKS * CHUNK,
    head: () => header,
    batch(input) {
      const first = next;
      next += input.length / CHUNK;
      // No `out`: the cipher's own output memory is recycled once the consumer drops it.
      return cipher.sealFullAsync(input, first);
    },
    async finish(rest, emit) {
      emit(sealBody(cipher, rest, next));
    },
    close: () => cipher.destroy(),
  };
}

/**
 * Opens chunks. `start` gets the first headBytes of input (fewer if it ended early) and
 * returns the cipher, or throws before any chunk is looked at. `forget` runs at close
 * (it wipes what `start` would have needed).
 */
export function openCodec(headBytes: number, start: (head: Uint8Array) => ChunkCipher, forget = () => {}): BatchCodec {
  let cipher: ChunkCipher | undefined;
  let next = 0;
  return {
    headBytes,
    unit: SLOT,
    batchBytes: BATCH_CHUNKS * SLOT,
    head(input) {
      cipher = start(input);
      return undefined;
    },
    batch(input) {
      const first = next;
      next += input.length / SLOT;
      // On failure the cipher zeroes its output before it could be emitted.
      return cipher!.openFullAsync(input, first);
    },
    async finish(rest, emit) {
      emit(openBody(cipher!, rest, next));
    },
    close() {
      forget();
      cipher?.destroy();
    },
  };
}
