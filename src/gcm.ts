/**
 * AesGcm: AES-GCM with 12-byte nonces and 16-byte tags (NIST SP 800-38D).
 *
 * Checks every argument here, once, then hands the whole message to the backend.
 */
import { SectorCryptError } from './errors.js';
import { getBackend, type BackendChoice } from './backend/select.js';
import type { GcmKeyHandle } from './backend/types.js';
import { checkBytes, detach, isBytes, outputView, unalias } from './bytes.js';

export interface AesGcmOptions {
  backend?: BackendChoice;
}

const TAG = 16;
const EMPTY = new Uint8Array(0);

function checkNonce(nonce: unknown): Uint8Array {
  if (!isBytes(nonce) || nonce.length !== 12) {
    throw new SectorCryptError('ERR_NONCE_LENGTH', 'AES-GCM nonce must be a Uint8Array of 12 bytes');
  }
  return nonce;
}

function checkAad(aad: unknown): Uint8Array {
  return aad === undefined ? EMPTY : checkBytes(aad, 'aad');
}

export class AesGcm {
  private handle?: GcmKeyHandle;

  constructor(key: Uint8Array, opts: AesGcmOptions = {}) {
    if (typeof opts !== 'object' || opts === null) throw new SectorCryptError('ERR_ARGUMENT', 'options must be an object');
    if (!isBytes(key) || (key.length !== 16 && key.length !== 24 && key.length !== 32)) {
      throw new SectorCryptError('ERR_KEY_LENGTH', 'AES-GCM key must be a Uint8Array of 16, 24 or 32 bytes');
    }
    this.handle = getBackend(opts.backend).gcmKey(key);
  }

  private live(): GcmKeyHandle {
    if (!this.handle) throw new SectorCryptError('ERR_ARGUMENT', 'AesGcm was destroyed');
    return this.handle;
  }

  /** Returns ciphertext || 16-byte tag, in `out` when given (it may be the plaintext itself). */
  seal(nonce: Uint8Array, plaintext: Uint8Array, aad?: Uint8Array, out?: Uint8Array): Uint8Array {
    const handle = this.live();
    const iv = checkNonce(nonce);
    const src = checkBytes(plaintext, 'plaintext');
    const extra = checkAad(aad);
    const dst = outputView(out, src.length + TAG);
    // The nonce and AAD are read while output is written: copy them if they share its memory.
    handle.seal(detach(iv, dst), unalias(src, dst), detach(extra, dst), dst);
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
    const dst = outputView(out, Math.max(0, src.length - TAG));
    const fail = () => {
      if (isBytes(out)) out.fill(0);
      return new SectorCryptError('ERR_AUTH', 'AES-GCM authentication failed');
    };
    if (src.length < TAG) throw fail();
    if (!handle.open(detach(iv, dst), unalias(src, dst), detach(extra, dst), dst)) throw fail();
    return dst;
  }

  /** Wipes the key schedule; every later call throws ERR_ARGUMENT. */
  destroy(): void {
    this.handle?.destroy();
    this.handle = undefined;
  }
}
