/**
 * Known answers for Cobblestone-128 and -256. The pinned values were made with the
 * node:crypto reference (reference.ts: createHmac HKDF, aes-*-gcm per chunk), not with
 * the code under test; both must keep producing them.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { decryptChunked, encryptChunked } from '../../src/index.js';
import { deriveMessageKeys, hkdfExpandSha512 } from '../../src/chunked/derive.js';
import { ChunkCipher } from '../../src/chunked/chunk-cipher.js';
import { sealBody } from '../../src/chunked/tail.js';
import { fromHex, toHex } from '../bytes.js';
import { Rng } from '../rng.js';
import { refDerive, refEncrypt, refExpand } from './reference.js';

const KEY16 = fromHex('000102030405060708090a0b0c0d0e0f');
const KEY32 = fromHex('000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f');
const SALT = Uint8Array.from({ length: 24 }, (_, i) => 0xa0 + i);
const CONTEXT = new TextEncoder().encode('sectorcrypt test vector');
const BIG = Uint8Array.from({ length: 3 * 16384 + 100 }, (_, i) => i % 251);

const VECTORS = [
  {
    name: 'Cobblestone-128',
    key: KEY16,
    derived: [
      '4db8dbf798f5f886675a47c2aa757019',
      '46820afd6f61414e65812c78',
      '41f3f57fe4e3168152ae2ec7988752697ff64d8966044f376d1fe4e2fa12755f',
    ],
    empty:
      'a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b741f3f57fe4e3168152ae2ec7988752697ff64d8966044f376d1fe4e2fa12755fa347eb6265cb030de8c7a96186c391cf',
    hello:
      'a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7c267163d6dc10ca739a2e5e471d75a74804e65f47cffc4161267f1ce41c82018131929135e33ee685340165aa6f82aa9eee254a8dd529ac1d5cda61b',
    bigSha256: '9bbe504f227c3a63e9c9e737e6409d194bcca6eb0a39658f1a97f8bdec455882',
  },
  {
    name: 'Cobblestone-256',
    key: KEY32,
    derived: [
      '0bcc51090bf0b5b78b891020d4c6ba7d2481fe3e547968d6c03e16991aa1f8aa',
      '58f9b3484c69952c7492f468',
      'b166d07fa2cccc64a7abf601aa275f878b765c8b3ae5bba91599e7bfa2fc2e80',
    ],
    empty:
      'a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b166d07fa2cccc64a7abf601aa275f878b765c8b3ae5bba91599e7bfa2fc2e8072bbb35b668d1a816a385c51dcb49f97',
    hello:
      'a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7ff391c60d5752836bb4e42f644aaf497976b648911d3ed26c54ff98ca744b7585f0de3e594b3168946a671a3d206549dea4e8ea63fcc273a3593731f',
    bigSha256: '780a5b37971582e4550ed93469a19480b813cd455cf71410627131bb85d282f7',
  },
];

/** What encryptChunked would output with `salt` in place of a random one. */
function encryptWithSalt(inputKey: Uint8Array, salt: Uint8Array, context: Uint8Array, plaintext: Uint8Array): Uint8Array {
  const { key, baseNonce, commitment } = deriveMessageKeys(inputKey, salt, context);
  const cipher = new ChunkCipher(key, baseNonce);
  const body = sealBody(cipher, plaintext, 0);
  cipher.destroy();
  return new Uint8Array(Buffer.concat([salt, commitment, body]));
}

describe.each(VECTORS)('$name', (v) => {
  it('derives key, base nonce and commitment', () => {
    const d = deriveMessageKeys(v.key, SALT, CONTEXT);
    expect([toHex(d.key), toHex(d.baseNonce), toHex(d.commitment)]).toEqual(v.derived);
    const r = refDerive(v.key, SALT, CONTEXT);
    expect([toHex(r.key), toHex(r.baseNonce), toHex(r.commitment)]).toEqual(v.derived);
  });

  it('seals the empty message, a short one and a 3-chunk one as pinned', () => {
    const hello = new TextEncoder().encode('hello, world');
    expect(toHex(encryptWithSalt(v.key, SALT, CONTEXT, new Uint8Array(0)))).toBe(v.empty);
    expect(toHex(encryptWithSalt(v.key, SALT, new Uint8Array(0), hello))).toBe(v.hello);
    const big = encryptWithSalt(v.key, SALT, CONTEXT, BIG);
    expect(big.length).toBe(56 + 3 * 16400 + 100 + 16);
    expect(createHash('sha256').update(big).digest('hex')).toBe(v.bigSha256);
    expect(
      createHash('sha256')
        .update(refEncrypt(v.key, SALT, CONTEXT, BIG))
        .digest('hex'),
    ).toBe(v.bigSha256);
  });

  it('opens the pinned messages with decryptChunked', () => {
    expect(decryptChunked(v.key, fromHex(v.empty), { context: 'sectorcrypt test vector' }).length).toBe(0);
    expect(new TextDecoder().decode(decryptChunked(v.key, fromHex(v.hello)))).toBe('hello, world');
  });
});

describe('against the node:crypto reference on random inputs', () => {
  const rng = new Rng();
  const note = `seed ${rng.seed}`;

  it.each([16, 32])('%i-byte keys: encryptChunked output equals the reference for its own salt', (keyLength) => {
    for (const n of [0, 1, 15, 16383, 16384, 16385, 2 * 16384, 5 * 16384 + 777]) {
      const key = rng.bytes(keyLength);
      const context = rng.bytes(rng.int(40));
      const pt = rng.bytes(n);
      const ct = encryptChunked(key, pt, { context });
      const expected = refEncrypt(key, ct.subarray(0, 24), context, pt);
      expect(toHex(ct), `${note} length ${n}`).toBe(toHex(expected));
      expect(toHex(decryptChunked(key, expected, { context })), note).toBe(toHex(pt));
    }
  });

  it('HKDF-Expand equals createHmac HKDF for short keys and every output length used', () => {
    for (const keyLength of [16, 32]) {
      for (const length of [60, 64, 76, 128, 129]) {
        const prk = rng.bytes(keyLength);
        const info = rng.bytes(rng.int(100));
        expect(toHex(hkdfExpandSha512(prk, info, length)), note).toBe(toHex(refExpand(prk, info, length)));
      }
    }
  });

  it('a string context is its UTF-8 bytes', () => {
    const key = rng.bytes(16);
    const ct = encryptChunked(key, new Uint8Array(3), { context: 'día/🗄' });
    expect(decryptChunked(key, ct, { context: new TextEncoder().encode('día/🗄') }).length).toBe(3);
  });
});
