/** AES-GCM on @noble/ciphers: 12-byte nonce, 16-byte tag. */
import { gcm } from '@noble/ciphers/aes.js';
import { SectorCryptError } from '../errors.js';
import { copyBytes, wipe } from '../bytes.js';
import type { GcmKeyHandle } from './types.js';

/** noble throws one error for a bad tag; anything else is a bug and must surface as is. */
function isTagFailure(err: unknown): boolean {
  return err instanceof Error && /invalid tag/.test(err.message);
}

export class PortableGcmKey implements GcmKeyHandle {
  private key?: Uint8Array;

  constructor(key: Uint8Array) {
    this.key = copyBytes(key);
  }

  private live(): Uint8Array {
    if (!this.key) throw new SectorCryptError('ERR_ARGUMENT', 'AES-GCM key was destroyed');
    return this.key;
  }

  seal(nonce: Uint8Array, plaintext: Uint8Array, aad: Uint8Array, dst: Uint8Array): void {
    // noble's gcm has no output parameter: one copy into dst.
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

  destroy(): void {
    wipe(this.key);
    this.key = undefined;
  }
}
