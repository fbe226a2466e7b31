/** AES key wrap (RFC 3394) and with padding (RFC 5649): every NIST CAVP entry, RFC 3394's examples, node:crypto. */
import { createCipheriv, createDecipheriv, randomBytes, randomInt } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { aesKeyUnwrap, aesKeyUnwrapPad, aesKeyWrap, aesKeyWrapPad } from '../../src/hazmat.js';
import { readRsp, vectorsDir } from '../vectors.js';

const hex = (s: string) => new Uint8Array(Buffer.from(s, 'hex'));

describe('NIST CAVP key wrap vectors (SP 800-38F)', () => {
  for (const file of ['KW_AE_128.txt', 'KW_AE_256.txt', 'KWP_AE_256.txt']) {
    test(file, () => {
      const pad = file.startsWith('KWP');
      const entries = readRsp(`keywrap-nist/${file}`);
      expect(entries.length).toBeGreaterThan(100);
      for (const { fields } of entries) {
        const wrapped = (pad ? aesKeyWrapPad : aesKeyWrap)(hex(fields.K), hex(fields.P));
        expect(Buffer.from(wrapped).toString('hex')).toBe(fields.C);
      }
    });
  }
  for (const file of ['KW_AD_128.txt', 'KW_AD_256.txt', 'KWP_AD_256.txt']) {
    test(file, () => {
      const unwrap = file.startsWith('KWP') ? aesKeyUnwrapPad : aesKeyUnwrap;
      const entries = readRsp(`keywrap-nist/${file}`);
      let failures = 0;
      for (const { fields, fail } of entries) {
        if (fail) {
          failures++;
          expect(() => unwrap(hex(fields.K), hex(fields.C))).toThrow(/ERR_AUTH|ERR_DATA_LENGTH/);
        } else {
          expect(Buffer.from(unwrap(hex(fields.K), hex(fields.C))).toString('hex')).toBe(fields.P);
        }
      }
      expect(failures).toBeGreaterThan(0);
    });
  }
});

test('RFC 3394 section 4 examples', () => {
  const examples = JSON.parse(readFileSync(path.join(vectorsDir, 'keywrap-rfc3394/rfc3394.json'), 'utf8')) as {
    kek: string;
    key_data: string;
    ciphertext: string;
  }[];
  expect(examples).toHaveLength(6);
  for (const e of examples) {
    expect(Buffer.from(aesKeyWrap(hex(e.kek), hex(e.key_data))).toString('hex')).toBe(e.ciphertext);
    expect(Buffer.from(aesKeyUnwrap(hex(e.kek), hex(e.ciphertext))).toString('hex')).toBe(e.key_data);
  }
});

test('agrees with node:crypto (OpenSSL id-aes256-wrap, id-aes256-wrap-pad) on random input', () => {
  const iv = Buffer.from('a6a6a6a6a6a6a6a6', 'hex');
  for (let i = 0; i < 200; i++) {
    const kek = randomBytes(32);
    const key = randomBytes(8 * randomInt(2, 20));
    const ours = aesKeyWrap(kek, key);
    const theirs = Buffer.concat([createCipheriv('id-aes256-wrap', kek, iv).update(key)]);
    expect(Buffer.from(ours).equals(theirs)).toBe(true);
    expect(Buffer.from(aesKeyUnwrap(kek, theirs)).equals(key)).toBe(true);
    const odd = randomBytes(randomInt(1, 100));
    const padded = aesKeyWrapPad(kek, odd);
    const theirsPad = createCipheriv('id-aes256-wrap-pad', kek, Buffer.from('a65959a6', 'hex')).update(odd);
    expect(Buffer.from(padded).equals(theirsPad)).toBe(true);
    const back = createDecipheriv('id-aes256-wrap-pad', kek, Buffer.from('a65959a6', 'hex')).update(padded);
    expect(back.equals(odd)).toBe(true);
  }
});

test('refusals: bad lengths, a wrong KEK, a changed byte', () => {
  const kek = randomBytes(32);
  expect(() => aesKeyWrap(kek, new Uint8Array(12))).toThrow(/ERR_DATA_LENGTH/);
  expect(() => aesKeyWrap(new Uint8Array(20), new Uint8Array(16))).toThrow(/ERR_KEY_LENGTH/);
  const wrapped = aesKeyWrap(kek, new Uint8Array(32).fill(1));
  expect(() => aesKeyUnwrap(randomBytes(32), wrapped)).toThrow(/ERR_AUTH/);
  wrapped[5] ^= 1;
  expect(() => aesKeyUnwrap(kek, wrapped)).toThrow(/ERR_AUTH/);
  expect(() => aesKeyUnwrapPad(kek, new Uint8Array(12))).toThrow(/ERR_DATA_LENGTH/);
});
