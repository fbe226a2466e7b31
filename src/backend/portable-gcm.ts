/** AES-GCM on @noble/ciphers: 12-byte nonce, 16-byte tag. */
import { gcm } from '@noble/ciphers/aes.js';
import { SectorCryptError } from '../errors.js';
import { copyBytes, wipe } from '../bytes.js';
import type { GcmKeyHandle } from './types.js';

/** noble throws one error for a bad tag; anything else is a bug and must surface as is. */
export function isTagFailure(err: unknown): boolean {
  return err instanceof Error && /invalid tag/.test(err.message);
}

const EMPTY = new Uint8Array(0);

/** baseNonce XOR index, the index big-endian in the last 8 bytes (index < 2^53). */
function chunkNonce(baseNonce: Uint8Array, index: number): Uint8Array {
  const nonce = copyBytes(baseNonce);
  let rest = index;
  for (let i = 11; i >= 4 && rest > 0; i--) {
    nonce[i] ^= rest % 256;
    rest = Math.floor(rest / 256);
  }
  return nonce;
}

export class PortableGcmKey implements GcmKeyHandle {
  private key?: Uint8Array;

  constructor(key: Uint8Array) {
    this.key = copyBytes(key);
  }

  private live(): Uint8Array {
    if (!this.key) throw new SectorCryptError('ERR_CLOSED', 'AES-GCM key was destroyed');
    return this.key;
  }

  seal(nonce: Uint8Array, plaintext: Uint8Array, aad: Uint8Array, dst: Uint8Array): void {
    // noble's gcm has no output parameter: one copy into dst, after every input was read.
    const sealed = gcm(this.live(), nonce, aad).encrypt(plaintext);
    dst.set(sealed);
    wipe(sealed);
  }

  open(nonce: Uint8Array, sealed: Uint8Array, aad: Uint8Array, dst: Uint8Array): boolean {
    let plaintext: Uint8Array;
    try {
      // noble checks the tag before it decrypts, so a failure leaves no plaintext anywhere.
      plaintext = gcm(this.live(), nonce, aad).decrypt(sealed);
    } catch (err) {
      if (!isTagFailure(err)) throw err;
      dst.fill(0);
      return false;
    }
    dst.set(plaintext);
    wipe(plaintext);
    return true;
  }

  sealChunks(baseNonce: Uint8Array, src: Uint8Array, chunkSize: number, firstIndex: number, dst: Uint8Array): void {
    const n = src.length / chunkSize;
    for (let i = 0; i < n; i++) {
      const chunk = src.subarray(i * chunkSize, (i + 1) * chunkSize);
      this.seal(chunkNonce(baseNonce, firstIndex + i), chunk, EMPTY, dst.subarray(i * (chunkSize + 16), (i + 1) * (chunkSize + 16)));
    }
  }

  openChunks(baseNonce: Uint8Array, src: Uint8Array, chunkSize: number, firstIndex: number, dst: Uint8Array): number {
    const n = src.length / (chunkSize + 16);
    for (let i = 0; i < n; i++) {
      const sealed = src.subarray(i * (chunkSize + 16), (i + 1) * (chunkSize + 16));
      if (!this.open(chunkNonce(baseNonce, firstIndex + i), sealed, EMPTY, dst.subarray(i * chunkSize, (i + 1) * chunkSize))) {
        dst.fill(0, i * chunkSize, n * chunkSize);
        return i;
      }
    }
    return n;
  }

  async sealChunksAsync(baseNonce: Uint8Array, src: Uint8Array, chunkSize: number, firstIndex: number, dst: Uint8Array): Promise<void> {
    this.sealChunks(baseNonce, src, chunkSize, firstIndex, dst);
  }

  async openChunksAsync(baseNonce: Uint8Array, src: Uint8Array, chunkSize: number, firstIndex: number, dst: Uint8Array): Promise<number> {
    return this.openChunks(baseNonce, src, chunkSize, firstIndex, dst);
  }

  destroy(): void {
    wipe(this.key);
    this.key = undefined;
  }
}
