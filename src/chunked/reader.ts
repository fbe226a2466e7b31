/**
 * openChunkedReader: random access to a Cobblestone message in a file or in memory.
 *
 * Opening checks the commitment, then finds the final chunk from the length and opens it,
 * which authenticates `size`. read(position, length) opens only the chunks it needs.
 * Reads are clamped like pread(2): bytes past `size` are not returned, and a position at
 * or past `size` gives an empty array.
 */
import { SectorCryptError } from '../errors.js';
import type { ChunkCipher } from './chunk-cipher.js';
import { openHeader } from './header.js';
import { BATCH_CHUNKS, checkInputKey, checkOptions, CHUNK, contextBytes, HEADER, SLOT, type ChunkedOptions } from './params.js';
import { openSource, type Source } from './source.js';
import { bodyLayout } from './tail.js';

export interface ChunkedReader {
  /** Plaintext length, authenticated by the final chunk. */
  readonly size: number;
  read(position: number, length: number): Promise<Uint8Array>;
  /** Waits for reads in progress, wipes the keys and closes the file. */
  close(): Promise<void>;
}

interface End {
  /** Index of the final chunk (= number of full chunks). */
  full: number;
  finalPlain: Uint8Array;
}

/**
 * Opens the final chunk found by length. When that fails (or the length is impossible),
 * the slot before it is tried too, so that a message followed by extra bytes reports
 * ERR_TRAILING_DATA whenever its real end lies in the last two slots.
 */
async function findEnd(cipher: ChunkCipher, source: Source, offset: number): Promise<End> {
  const body = source.size - offset;
  const full = Math.floor(body / SLOT);
  let failure: unknown;
  try {
    bodyLayout(body);
    const final = await source.read(offset + full * SLOT, body - full * SLOT);
    return { full, finalPlain: cipher.openFinal(final, full) };
  } catch (err) {
    if (!(err instanceof SectorCryptError) || (err.code !== 'ERR_AUTH' && err.code !== 'ERR_TRUNCATED')) throw err;
    failure = err;
  }
  if (full > 0) await cipher.openFullAsync(await source.read(offset + (full - 1) * SLOT, SLOT), full - 1);
  throw failure;
}

function checkCount(value: unknown, name: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new SectorCryptError('ERR_ARGUMENT', `${name} must be a non-negative integer`);
  }
  return value;
}

class Reader implements ChunkedReader {
  readonly size: number;
  private readonly reads = new Set<Promise<unknown>>();
  private closed?: Promise<void>;

  constructor(
    private readonly cipher: ChunkCipher,
    private readonly source: Source,
    private readonly offset: number,
    private readonly end: End,
  ) {
    this.size = end.full * CHUNK + end.finalPlain.length;
  }

  read(position: number, length: number): Promise<Uint8Array> {
    if (this.closed) return Promise.reject(new SectorCryptError('ERR_CLOSED', 'reader is closed'));
    const job = this.readRange(position, length);
    this.reads.add(job);
    const done = () => this.reads.delete(job);
    job.then(done, done);
    return job;
  }

  private async readRange(position: number, length: number): Promise<Uint8Array> {
    const start = Math.min(checkCount(position, 'position'), this.size);
    const end = start + Math.min(checkCount(length, 'length'), this.size - start);
    const out = new Uint8Array(end - start);
    if (end === start) return out;
    const last = Math.floor((end - 1) / CHUNK);
    for (let first = Math.floor(start / CHUNK); first <= last; first += BATCH_CHUNKS) {
      const count = Math.min(BATCH_CHUNKS, last - first + 1);
      const plain = await this.chunks(first, count);
      const from = Math.max(start, first * CHUNK);
      const to = Math.min(end, first * CHUNK + plain.length);
      out.set(plain.subarray(from - first * CHUNK, to - first * CHUNK), from - start);
    }
    return out;
  }

  /** Plaintext of chunks first .. first+count-1 (the final one comes from open time). */
  private async chunks(first: number, count: number): Promise<Uint8Array> {
    const full = Math.max(0, Math.min(count, this.end.full - first));
    const hasFinal = first + count > this.end.full;
    const out = new Uint8Array(full * CHUNK + (hasFinal ? this.end.finalPlain.length : 0));
    if (full > 0) {
      const sealed = await this.source.read(this.offset + first * SLOT, full * SLOT);
      await this.cipher.openFullAsync(sealed, first, out.subarray(0, full * CHUNK), false);
    }
    if (hasFinal) out.set(this.end.finalPlain, full * CHUNK);
    return out;
  }

  close(): Promise<void> {
    this.closed ??= (async () => {
      await Promise.allSettled([...this.reads]);
      this.cipher.destroy();
      this.end.finalPlain.fill(0);
      await this.source.close();
    })();
    return this.closed;
  }
}

/** A reader over `source` whose chunks start at `offset` and use `start`'s cipher. */
export async function openReader(source: unknown, offset: number, start: (head: Uint8Array) => ChunkCipher): Promise<ChunkedReader> {
  const src = await openSource(source);
  let cipher: ChunkCipher | undefined;
  try {
    if (src.size < offset) throw new SectorCryptError('ERR_TRUNCATED', `ciphertext ends inside the ${offset}-byte header`);
    cipher = start(await src.read(0, offset));
    return new Reader(cipher, src, offset, await findEnd(cipher, src, offset));
  } catch (err) {
    cipher?.destroy();
    await src.close();
    throw err;
  }
}

export function openChunkedReader(key: Uint8Array, source: string | Uint8Array, opts?: ChunkedOptions): Promise<ChunkedReader> {
  const options = checkOptions(opts);
  try {
    checkInputKey(key);
    contextBytes(options.context);
  } catch (err) {
    return Promise.reject(err);
  }
  return openReader(source, HEADER, (head) => openHeader(key, head, options));
}
