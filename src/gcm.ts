/**
 * AesGcm: AES-GCM with 12-byte nonces and 16-byte tags (NIST SP 800-38D).
 *
 * Checks every argument here, once, then hands the whole message to the backend.
 */
import { SectorCryptError } from './errors.js';
import { GCM_TAG_BYTES, MAX_UNIT_BYTES } from './limits.js';
import { getBackend, type BackendChoice } from './backend/select.js';
import type { GcmKeyHandle } from './backend/types.js';
import { checkOptionKeys } from './options.js';
import { checkBytes, detach, isBytes, outputView } from './bytes.js';
import { newOutput } from './output.js';

export interface AesGcmOptions {
  backend?: BackendChoice;
  /** A native kernel ('aesni', 'vaes-avx2', 'vaes-avx512'; 'armv8-ce' on arm64); default the best the CPU runs. */
  kernel?: string;
}

const TAG = GCM_TAG_BYTES;

interface ChunkJob {
  handle: GcmKeyHandle;
  nonce: Uint8Array;
  src: Uint8Array;
  dst: Uint8Array;
  count: number;
}
const EMPTY = new Uint8Array(0);

function checkNonce(nonce: unknown): Uint8Array {
  if (!isBytes(nonce) || nonce.length !== 12) {
    throw new SectorCryptError('ERR_NONCE_LENGTH', 'AES-GCM nonce must be a Uint8Array of 12 bytes');
  }
  return nonce;
}

/** `out`, or a new result that the call overwrites whole (a failed open zeroes it). */
function output(out: unknown, length: number): Uint8Array {
  return out === undefined ? newOutput(length) : outputView(out, length);
}

function checkAad(aad: unknown): Uint8Array {
  return aad === undefined ? EMPTY : checkBytes(aad, 'aad');
}

export class AesGcm {
  private handle?: GcmKeyHandle;

  constructor(key: Uint8Array, opts: AesGcmOptions = {}) {
    checkOptionKeys(opts, ['backend', 'kernel'], 'AesGcm options');
    if (!isBytes(key) || (key.length !== 16 && key.length !== 24 && key.length !== 32)) {
      throw new SectorCryptError('ERR_KEY_LENGTH', 'AES-GCM key must be a Uint8Array of 16, 24 or 32 bytes');
    }
    this.handle = getBackend(opts.backend, opts.kernel).gcmKey(key);
  }

  private live(): GcmKeyHandle {
    if (!this.handle) throw new SectorCryptError('ERR_CLOSED', 'AesGcm was destroyed');
    return this.handle;
  }

  /** Returns ciphertext || 16-byte tag, in `out` when given (it may be the plaintext itself). */
  seal(nonce: Uint8Array, plaintext: Uint8Array, aad?: Uint8Array, out?: Uint8Array): Uint8Array {
    const handle = this.live();
    const iv = checkNonce(nonce);
    const src = checkBytes(plaintext, 'plaintext');
    const extra = checkAad(aad);
    const dst = output(out, src.length + TAG);
    // Backends take a dst that shares memory with any input (the native one copies in C++,
    // where the check costs two comparisons instead of an ArrayBuffer lookup per argument).
    handle.seal(iv, src, extra, dst);
    return dst;
  }

  /**
   * Checks the tag and returns the plaintext; throws ERR_AUTH when the tag, AAD or nonce do
   * not match or `sealed` is shorter than a tag. On ERR_AUTH, `out` (when given) is zeroed.
   */
  open(nonce: Uint8Array, sealed: Uint8Array, aad?: Uint8Array, out?: Uint8Array): Uint8Array {
    const handle = this.live();
    const iv = checkNonce(nonce);
    const src = checkBytes(sealed, 'sealed');
    const extra = checkAad(aad);
    const dst = output(out, Math.max(0, src.length - TAG));
    const fail = () => {
      if (isBytes(out)) out.fill(0);
      return new SectorCryptError('ERR_AUTH', 'AES-GCM authentication failed');
    };
    if (src.length < TAG) throw fail();
    if (!handle.open(iv, src, extra, dst)) throw fail();
    return dst;
  }

  /**
   * Seals many chunks of `chunkSize` bytes in one call (the chunked-encryption batch path):
   * chunk i uses the nonce baseNonce XOR (firstIndex + i) as a big-endian integer and no
   * AAD. Returns the sealed chunks back to back, each ciphertext || tag.
   */
  sealChunks(baseNonce: Uint8Array, plaintext: Uint8Array, chunkSize: number, firstIndex: number, out?: Uint8Array): Uint8Array {
    const job = this.chunkJob(baseNonce, plaintext, chunkSize, firstIndex, out, 'seal');
    job.handle.sealChunks(job.nonce, job.src, chunkSize, firstIndex, job.dst);
    return job.dst;
  }

  /** sealChunks on the thread pool where the backend has one. */
  async sealChunksAsync(
    baseNonce: Uint8Array,
    plaintext: Uint8Array,
    chunkSize: number,
    firstIndex: number,
    out?: Uint8Array,
  ): Promise<Uint8Array> {
    const job = this.chunkJob(baseNonce, plaintext, chunkSize, firstIndex, out, 'seal');
    await job.handle.sealChunksAsync(job.nonce, job.src, chunkSize, firstIndex, job.dst);
    return job.dst;
  }

  /**
   * Opens chunks sealed by sealChunks. Throws ERR_AUTH if any chunk fails, and then returns
   * no plaintext at all (`out`, when given, is zeroed).
   */
  openChunks(baseNonce: Uint8Array, sealed: Uint8Array, chunkSize: number, firstIndex: number, out?: Uint8Array): Uint8Array {
    const job = this.chunkJob(baseNonce, sealed, chunkSize, firstIndex, out, 'open');
    const verified = job.handle.openChunks(job.nonce, job.src, chunkSize, firstIndex, job.dst);
    return this.chunksOpened(job, verified, chunkSize, firstIndex);
  }

  /** openChunks on the thread pool where the backend has one. */
  async openChunksAsync(
    baseNonce: Uint8Array,
    sealed: Uint8Array,
    chunkSize: number,
    firstIndex: number,
    out?: Uint8Array,
  ): Promise<Uint8Array> {
    const job = this.chunkJob(baseNonce, sealed, chunkSize, firstIndex, out, 'open');
    const verified = await job.handle.openChunksAsync(job.nonce, job.src, chunkSize, firstIndex, job.dst);
    return this.chunksOpened(job, verified, chunkSize, firstIndex);
  }

  private chunksOpened(job: ChunkJob, verified: number, chunkSize: number, firstIndex: number): Uint8Array {
    if (verified === job.count) return job.dst;
    job.dst.fill(0);
    throw new SectorCryptError(
      'ERR_AUTH',
      `AES-GCM authentication failed for chunk ${firstIndex + verified} (chunks of ${chunkSize} bytes)`,
    );
  }

  private chunkJob(
    baseNonce: unknown,
    input: unknown,
    chunkSize: unknown,
    firstIndex: unknown,
    out: unknown,
    dir: 'seal' | 'open',
  ): ChunkJob {
    const handle = this.live();
    const nonce = checkNonce(baseNonce);
    const src = checkBytes(input, dir === 'seal' ? 'plaintext' : 'sealed');
    if (typeof chunkSize !== 'number' || !Number.isInteger(chunkSize) || chunkSize < 1 || chunkSize > MAX_UNIT_BYTES) {
      throw new SectorCryptError('ERR_ARGUMENT', 'chunkSize must be an integer from 1 to 16 MiB');
    }
    if (typeof firstIndex !== 'number' || !Number.isSafeInteger(firstIndex) || firstIndex < 0) {
      throw new SectorCryptError('ERR_ARGUMENT', 'firstIndex must be a non-negative integer up to 2^53-1');
    }
    const inChunk = dir === 'seal' ? chunkSize : chunkSize + TAG;
    const outChunk = dir === 'seal' ? chunkSize + TAG : chunkSize;
    if (src.length % inChunk !== 0) {
      throw new SectorCryptError(
        'ERR_DATA_LENGTH',
        `${dir === 'seal' ? 'plaintext' : 'sealed'} must be a whole number of ${inChunk}-byte chunks`,
      );
    }
    const count = src.length / inChunk;
    if (!Number.isSafeInteger(firstIndex + count)) {
      throw new SectorCryptError('ERR_ARGUMENT', 'chunk indexes must stay below 2^53');
    }
    const dst = output(out, count * outChunk);
    return { handle, nonce: detach(nonce, dst), src: detach(src, dst), dst, count };
  }

  /** Wipes the key schedule; every later call throws ERR_ARGUMENT. */
  destroy(): void {
    this.handle?.destroy();
    this.handle = undefined;
  }
}
