/**
 * Per-message key derivation:
 * key || base nonce || commitment = HKDF-Expand-SHA-512(input key,
 *     "c2sp.org/chunked-encryption@v1+" || aead name || 0x00 || salt || context)
 */
import { hmac } from '@noble/hashes/hmac.js';
import { sha512 } from '@noble/hashes/sha2.js';
import { wipe } from '../bytes.js';
import { aeadName, COMMITMENT, NONCE } from './params.js';

const PREFIX = 'c2sp.org/chunked-encryption@v1+';

export interface MessageKeys {
  key: Uint8Array;
  baseNonce: Uint8Array;
  commitment: Uint8Array;
}

/** The HKDF info string for one message. */
export function hkdfInfo(keyLength: number, salt: Uint8Array, context: Uint8Array): Uint8Array {
  const label = new TextEncoder().encode(`${PREFIX}${aeadName(keyLength)}\0`);
  const info = new Uint8Array(label.length + salt.length + context.length);
  info.set(label, 0);
  info.set(salt, label.length);
  info.set(context, label.length + salt.length);
  return info;
}

/**
 * HKDF-Expand (RFC 5869 2.3) with HMAC-SHA-512: T(i) = HMAC(prk, T(i-1) || info || i).
 * Written out because @noble/hashes' expand() insists on a prk of at least 64 bytes,
 * while this spec keys it with the 16- or 32-byte input key itself.
 */
export function hkdfExpandSha512(prk: Uint8Array, info: Uint8Array, length: number): Uint8Array {
  const out = new Uint8Array(length);
  let block = new Uint8Array(0);
  for (let i = 1, done = 0; done < length; i++) {
    const input = new Uint8Array(block.length + info.length + 1);
    input.set(block, 0);
    input.set(info, block.length);
    input[input.length - 1] = i;
    wipe(block);
    block = hmac(sha512, prk, input);
    wipe(input);
    out.set(block.subarray(0, length - done), done);
    done += block.length;
  }
  wipe(block);
  return out;
}

/** inputKey is already checked (16 or 32 bytes); the three outputs share one buffer. */
export function deriveMessageKeys(inputKey: Uint8Array, salt: Uint8Array, context: Uint8Array): MessageKeys {
  const n = inputKey.length;
  const okm = hkdfExpandSha512(inputKey, hkdfInfo(n, salt, context), n + NONCE + COMMITMENT);
  return {
    key: okm.subarray(0, n),
    baseNonce: okm.subarray(n, n + NONCE),
    commitment: okm.subarray(n + NONCE),
  };
}
