/**
 * ChunkCipher: the chunked-encryption AEAD layer for one message (the spec's "raw mode"):
 * chunk i is sealed under `key` with nonce = base nonce XOR i (big-endian) and no AAD.
 * Full chunks go through AesGcm's batch calls; the short final chunk through seal/open.
 */
import { SectorCryptError } from '../errors.js';
import { AesGcm } from '../gcm.js';
import { isBytes, wipe } from '../bytes.js';
import type { BackendChoice } from '../backend/select.js';
import { checkChunkRange, CHUNK, NONCE, SLOT, TAG } from './params.js';

export class ChunkCipher {
  private readonly gcm: AesGcm;
  private readonly baseNonce: Uint8Array;

  /** key: 16 or 32 bytes; baseNonce: 12 bytes. Both are copied. */
  constructor(key: Uint8Array, baseNonce: Uint8Array, backend?: BackendChoice) {
    if (!isBytes(baseNonce) || baseNonce.length !== NONCE) {
      throw new SectorCryptError('ERR_NONCE_LENGTH', 'base nonce must be a Uint8Array of 12 bytes');
    }
    this.gcm = new AesGcm(key, { backend });
    this.baseNonce = new Uint8Array(baseNonce);
  }

  /** The nonce of chunk `index` (below 2^38, so it fits the last 5 bytes). */
  private nonce(index: number): Uint8Array {
    const nonce = new Uint8Array(this.baseNonce);
    for (let i = 0, rest = index; rest > 0; i++, rest = Math.floor(rest / 256)) nonce[NONCE - 1 - i] ^= rest % 256;
    return nonce;
  }

  /** Seals whole 16 KiB chunks, the first being number `first`. */
  sealFull(plain: Uint8Array, first: number, out?: Uint8Array): Uint8Array {
    checkChunkRange(first, plain.length / CHUNK);
    return this.gcm.sealChunks(this.baseNonce, plain, CHUNK, first, out);
  }

  sealFullAsync(plain: Uint8Array, first: number, out?: Uint8Array): Promise<Uint8Array> {
    checkChunkRange(first, plain.length / CHUNK);
    return this.gcm.sealChunksAsync(this.baseNonce, plain, CHUNK, first, out);
  }

  /** Seals the final chunk (shorter than 16 KiB). */
  sealFinal(plain: Uint8Array, index: number, out?: Uint8Array): Uint8Array {
    checkChunkRange(index, 1);
    return this.gcm.seal(this.nonce(index), plain, undefined, out);
  }

  /** Opens whole sealed slots; on failure throws the error `failure` explains. */
  openFull(sealed: Uint8Array, first: number, out?: Uint8Array): Uint8Array {
    checkChunkRange(first, sealed.length / SLOT);
    try {
      return this.gcm.openChunks(this.baseNonce, sealed, CHUNK, first, out);
    } catch (err) {
      throw this.explain(err, sealed, first);
    }
  }

  /** `lookForEnd` false: the caller knows where the message ends, so a failure is just ERR_AUTH. */
  async openFullAsync(sealed: Uint8Array, first: number, out?: Uint8Array, lookForEnd = true): Promise<Uint8Array> {
    checkChunkRange(first, sealed.length / SLOT);
    try {
      return await this.gcm.openChunksAsync(this.baseNonce, sealed, CHUNK, first, out);
    } catch (err) {
      throw lookForEnd ? this.explain(err, sealed, first) : err;
    }
  }

  /** Opens the final chunk (16 to 16 KiB + 15 sealed bytes). */
  openFinal(sealed: Uint8Array, index: number, out?: Uint8Array): Uint8Array {
    checkChunkRange(index, 1);
    try {
      return this.gcm.open(this.nonce(index), sealed, undefined, out);
    } catch (err) {
      throw this.explain(err, sealed, index, true);
    }
  }

  /** True when `sealed` opens as chunk `index`; the plaintext is wiped. */
  opens(sealed: Uint8Array, index: number, scratch: Uint8Array): boolean {
    try {
      this.gcm.open(this.nonce(index), sealed, undefined, scratch);
      return true;
    } catch {
      return false;
    } finally {
      wipe(scratch);
    }
  }

  /**
   * True when a proper prefix of `sealed` opens as the final chunk `index`: the message
   * ended there and the bytes after it are trailing data. This tries every prefix length
   * (up to 16,383 opens of at most 16 KiB) and runs only after a chunk failed.
   */
  endsInside(sealed: Uint8Array, index: number): boolean {
    const scratch = new Uint8Array(CHUNK);
    const longest = Math.min(sealed.length - 1, SLOT - 1);
    for (let length = TAG; length <= longest; length++) {
      if (this.opens(sealed.subarray(0, length), index, scratch)) return true;
    }
    return false;
  }

  /**
   * Turns a failed open into the error to report: ERR_TRAILING_DATA when the first chunk
   * that fails holds a valid final chunk followed by more bytes, ERR_AUTH otherwise.
   */
  private explain(err: unknown, sealed: Uint8Array, first: number, final = false): unknown {
    if (!(err instanceof SectorCryptError) || err.code !== 'ERR_AUTH') return err;
    let index = first;
    let slot = sealed;
    if (!final) {
      const scratch = new Uint8Array(CHUNK);
      for (let i = 0; i * SLOT < sealed.length; i++) {
        slot = sealed.subarray(i * SLOT, (i + 1) * SLOT);
        index = first + i;
        if (!this.opens(slot, index, scratch)) break;
      }
    }
    if (this.endsInside(slot, index)) {
      return new SectorCryptError('ERR_TRAILING_DATA', `data follows the final chunk (chunk ${index})`);
    }
    return new SectorCryptError('ERR_AUTH', `chunk ${index} failed authentication`);
  }

  destroy(): void {
    this.gcm.destroy();
    wipe(this.baseNonce);
  }
}
