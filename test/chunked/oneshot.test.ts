/** encryptChunked / decryptChunked: every length class, both key sizes, layout, arguments, the 2^38 limit. */
import { describe, expect, it } from 'vitest';
import { decryptChunked, encryptChunked } from '../../src/index.js';
import { ChunkCipher } from '../../src/chunked/chunk-cipher.js';
import { bodyLayout } from '../../src/chunked/tail.js';
import { expectCode, toHex } from '../bytes.js';
import { Rng } from '../rng.js';
import { refNonce, refSealRaw } from './reference.js';
import { createCipheriv } from 'node:crypto';

const CHUNK = 16384;
const SLOT = CHUNK + 16;
const LENGTHS = [0, 1, 16, 100, 16383, 16384, 16385, 2 * CHUNK, 3 * CHUNK - 1, 65 * CHUNK + 3, 130 * CHUNK];

describe.each([16, 32])('%i-byte key', (keyLength) => {
  const rng = new Rng();
  const note = `seed ${rng.seed}`;

  it.each(LENGTHS)('round trip of %i bytes, with the spec length', (n) => {
    const key = rng.bytes(keyLength);
    const pt = rng.bytes(n);
    const ct = encryptChunked(key, pt, { context: 'c' });
    // 56-byte header, one sealed slot per full chunk, then a final chunk of n % 16 KiB + tag.
    expect(ct.length).toBe(56 + Math.floor(n / CHUNK) * SLOT + (n % CHUNK) + 16);
    expect(toHex(decryptChunked(key, ct, { context: 'c' })), note).toBe(toHex(pt));
  });

  it('a fresh salt every time', () => {
    const key = rng.bytes(keyLength);
    const a = encryptChunked(key, new Uint8Array(10));
    const b = encryptChunked(key, new Uint8Array(10));
    expect(toHex(a.subarray(0, 24))).not.toBe(toHex(b.subarray(0, 24)));
    expect(toHex(a.subarray(24))).not.toBe(toHex(b.subarray(24)));
  });
});

describe('arguments', () => {
  const key = new Uint8Array(16).fill(1);

  it('rejects non-bytes and bad options with ERR_ARGUMENT', () => {
    expectCode(() => encryptChunked(key, 'text' as unknown as Uint8Array), 'ERR_ARGUMENT');
    expectCode(() => decryptChunked(key, [1, 2] as unknown as Uint8Array), 'ERR_ARGUMENT');
    expectCode(() => encryptChunked(key, new Uint8Array(1), { context: 5 as unknown as string }), 'ERR_ARGUMENT');
    expectCode(() => encryptChunked(key, new Uint8Array(1), 'ctx' as never), 'ERR_ARGUMENT');
  });

  it('takes Buffers and subarrays', () => {
    const pt = Buffer.from('0123456789abcdef').subarray(3, 9);
    const ct = encryptChunked(Buffer.from(key), pt);
    expect(Buffer.from(decryptChunked(key, Buffer.from(ct))).toString()).toBe('345678');
  });

  it('never puts the key in an error message', () => {
    const secret = new Uint8Array(16).fill(0xab);
    const ct = encryptChunked(secret, new Uint8Array(5));
    expectCode(() => decryptChunked(new Uint8Array(16).fill(0xcd), ct), 'ERR_AUTH', secret);
    expectCode(() => decryptChunked(secret, ct.subarray(0, 60)), 'ERR_TRUNCATED', secret);
  });
});

describe('the 2^38 chunk limit', () => {
  const key = new Uint8Array(16).fill(2);
  const nonce = new Uint8Array(12).fill(0x5a);
  const cipher = new ChunkCipher(key, nonce);

  it('seals the last allowed chunk with the nonce the spec gives it', () => {
    const index = 2 ** 38 - 1;
    const sealed = cipher.sealFinal(new Uint8Array([1, 2, 3]), index);
    const ref = createCipheriv('aes-128-gcm', key, refNonce(nonce, index));
    const expected = Buffer.concat([ref.update(new Uint8Array([1, 2, 3])), ref.final(), ref.getAuthTag()]);
    expect(toHex(sealed)).toBe(toHex(expected));
    expect(Array.from(cipher.openFinal(sealed, index))).toEqual([1, 2, 3]);
  });

  it('refuses chunk 2^38 and batches that reach it', () => {
    expectCode(() => cipher.sealFinal(new Uint8Array(1), 2 ** 38), 'ERR_DATA_LENGTH');
    expectCode(() => cipher.sealFull(new Uint8Array(2 * CHUNK), 2 ** 38 - 1), 'ERR_DATA_LENGTH');
    expectCode(() => cipher.openFinal(new Uint8Array(16), 2 ** 38), 'ERR_DATA_LENGTH');
  });

  it('refuses a ciphertext length that implies more chunks', () => {
    expectCode(() => bodyLayout(2 ** 38 * SLOT + 20), 'ERR_DATA_LENGTH');
    expect(bodyLayout((2 ** 38 - 1) * SLOT + 20)).toEqual({ full: 2 ** 38 - 1, final: 20 });
  });

  it('raw chunks match the reference across the nonce bytes that change', () => {
    const pt = new Rng().bytes(260 * CHUNK + 9);
    const sealed = new Uint8Array(260 * SLOT + 25);
    cipher.sealFull(pt.subarray(0, 260 * CHUNK), 0, sealed.subarray(0, 260 * SLOT));
    cipher.sealFinal(pt.subarray(260 * CHUNK), 260, sealed.subarray(260 * SLOT));
    expect(toHex(sealed)).toBe(toHex(refSealRaw(key, nonce, pt)));
  });
});
