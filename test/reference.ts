/**
 * Independent references built on node:crypto (OpenSSL): its aes-*-xts and aes-*-gcm, and
 * a plain, block-at-a-time XTS on its AES-ECB for AES-192 (which OpenSSL's XTS lacks).
 */
import { createCipheriv, createDecipheriv, type CipherGCMTypes } from 'node:crypto';
import { concat, le128 } from './bytes.js';

/** node:crypto XTS over one data unit (CTS included); key is both halves. */
export function nodeXts(dir: 'encrypt' | 'decrypt', key: Uint8Array, tweak: Uint8Array, data: Uint8Array): Uint8Array {
  const alg = `aes-${key.length * 4}-xts`;
  const c = dir === 'encrypt' ? createCipheriv(alg, key, tweak) : createDecipheriv(alg, key, tweak);
  return concat(c.update(data), c.final());
}

/** node:crypto XTS sector by sector with the plain64-style tweak sector * step. */
export function nodeXtsSectors(
  dir: 'encrypt' | 'decrypt',
  key: Uint8Array,
  data: Uint8Array,
  sectorSize: number,
  firstSector: bigint,
  step = 1n,
): Uint8Array {
  const out = new Uint8Array(data.length);
  for (let i = 0; i * sectorSize < data.length; i++) {
    const tweak = le128((firstSector + BigInt(i)) * step);
    out.set(nodeXts(dir, key, tweak, data.subarray(i * sectorSize, (i + 1) * sectorSize)), i * sectorSize);
  }
  return out;
}

function ecbBlock(dir: 'encrypt' | 'decrypt', key: Uint8Array, block: Uint8Array): Uint8Array {
  const alg = `aes-${key.length * 8}-ecb`;
  const c = dir === 'encrypt' ? createCipheriv(alg, key, null) : createDecipheriv(alg, key, null);
  c.setAutoPadding(false);
  return concat(c.update(block), c.final());
}

/** Multiply by x in GF(2^128), IEEE 1619 byte order (byte 0 is the least significant). */
function double(t: Uint8Array): Uint8Array {
  const out = new Uint8Array(16);
  let carry = 0;
  for (let i = 0; i < 16; i++) {
    out[i] = ((t[i] << 1) | carry) & 0xff;
    carry = t[i] >> 7;
  }
  if (carry) out[0] ^= 0x87;
  return out;
}

function xex(dir: 'encrypt' | 'decrypt', key: Uint8Array, t: Uint8Array, block: Uint8Array): Uint8Array {
  const x = block.map((b, i) => b ^ t[i]);
  return ecbBlock(dir, key, x).map((b, i) => b ^ t[i]);
}

/** IEEE 1619-2007 section 5.3/5.4 written out literally, one block at a time. */
export function referenceXts(dir: 'encrypt' | 'decrypt', key: Uint8Array, tweak: Uint8Array, data: Uint8Array): Uint8Array {
  const key1 = key.subarray(0, key.length / 2);
  const key2 = key.subarray(key.length / 2);
  const r = data.length % 16;
  const m = (data.length - r) / 16;
  const tweaks = [ecbBlock('encrypt', key2, tweak)];
  for (let j = 1; j <= m; j++) tweaks.push(double(tweaks[j - 1]));
  const out = new Uint8Array(data.length);
  const whole = r === 0 ? m : m - 1;
  for (let j = 0; j < whole; j++) out.set(xex(dir, key1, tweaks[j], data.subarray(16 * j, 16 * j + 16)), 16 * j);
  if (r === 0) return out;
  const last = data.subarray(16 * (m - 1), 16 * m);
  const tail = data.subarray(16 * m);
  // Encrypt: block m-1 under T(m-1), then steal. Decrypt: the swapped order, T(m) first.
  const first = xex(dir, key1, dir === 'encrypt' ? tweaks[m - 1] : tweaks[m], last);
  const stolen = concat(tail, first.subarray(r));
  out.set(xex(dir, key1, dir === 'encrypt' ? tweaks[m] : tweaks[m - 1], stolen), 16 * (m - 1));
  out.set(first.subarray(0, r), 16 * m);
  return out;
}

/** node:crypto AES-GCM: ciphertext || 16-byte tag. */
export function nodeGcmSeal(key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array, aad?: Uint8Array): Uint8Array {
  const c = createCipheriv(`aes-${key.length * 8}-gcm` as CipherGCMTypes, key, nonce);
  if (aad) c.setAAD(aad);
  return concat(c.update(plaintext), c.final(), c.getAuthTag());
}
