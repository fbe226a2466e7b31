/** AES-GCM on random inputs against node:crypto's aes-128/192/256-gcm, and refusals. */
import { describe, expect, it } from 'vitest';
import { AesGcm } from '../src/index.js';
import { testBackends } from './backends.js';
import { expectCode, toHex } from './bytes.js';
import { nodeGcmSeal } from './reference.js';
import { Rng } from './rng.js';

const MIB = 1024 * 1024;
const LENGTHS = [0, 1, 15, 16, 17, 255, 256, 257, 4095, 4096, 16383, 16384, 16385, 65536 + 7, MIB - 1, MIB];
const AAD_LENGTHS = [0, 1, 13, 16, 17, 100];

describe.each(testBackends())('%s backend', (backend) => {
  const rng = new Rng();
  const note = `seed ${rng.seed}`;

  describe.each([16, 24, 32])('%i-byte key', (keyLength) => {
    it.each(LENGTHS)('plaintext of %i bytes, without and with AAD', (n) => {
      const key = rng.bytes(keyLength);
      const gcm = new AesGcm(key, { backend });
      const pt = rng.bytes(n);
      // Without AAD, then with one AAD length picked by position so every length meets several.
      for (const aad of [undefined, rng.bytes(AAD_LENGTHS[LENGTHS.indexOf(n) % AAD_LENGTHS.length])]) {
        const nonce = rng.bytes(12);
        const sealed = gcm.seal(nonce, pt, aad);
        expect(toHex(sealed), `${note} length ${n} aad ${aad?.length}`).toBe(toHex(nodeGcmSeal(key, nonce, pt, aad)));
        expect(toHex(gcm.open(nonce, sealed, aad)), note).toBe(toHex(pt));
      }
    });

    it.each(AAD_LENGTHS)('AAD of %i bytes over short plaintexts', (aadLength) => {
      const key = rng.bytes(keyLength);
      const gcm = new AesGcm(key, { backend });
      for (const n of [0, 1, 16, 33]) {
        const nonce = rng.bytes(12);
        const pt = rng.bytes(n);
        const aad = rng.bytes(aadLength);
        const sealed = gcm.seal(nonce, pt, aad);
        expect(toHex(sealed), `${note} length ${n}`).toBe(toHex(nodeGcmSeal(key, nonce, pt, aad)));
        expect(toHex(gcm.open(nonce, sealed, aad)), note).toBe(toHex(pt));
      }
    });

    it('an empty AAD equals no AAD', () => {
      const gcm = new AesGcm(rng.bytes(keyLength), { backend });
      const nonce = rng.bytes(12);
      const pt = rng.bytes(40);
      expect(toHex(gcm.seal(nonce, pt, new Uint8Array(0)))).toBe(toHex(gcm.seal(nonce, pt)));
    });

    describe('open refuses tampering with ERR_AUTH and zeroes out', () => {
      const key = rng.bytes(keyLength);
      const nonce = rng.bytes(12);
      const aad = rng.bytes(13);
      const pt = rng.bytes(100);
      const flip = (b: Uint8Array, i: number) => {
        const c = b.slice();
        c[i] ^= 1;
        return c;
      };
      const cases: [string, (sealed: Uint8Array) => [Uint8Array, Uint8Array, Uint8Array | undefined]][] = [
        ['wrong tag', (s) => [nonce, flip(s, s.length - 1), aad]],
        ['wrong ciphertext', (s) => [nonce, flip(s, 0), aad]],
        ['wrong aad', (s) => [nonce, s, flip(aad, 5)]],
        ['missing aad', (s) => [nonce, s, undefined]],
        ['wrong nonce', (s) => [flip(nonce, 11), s, aad]],
        ['truncated by one byte', (s) => [nonce, s.subarray(0, s.length - 1), aad]],
        ['shorter than a tag', (s) => [nonce, s.subarray(0, 15), aad]],
        ['empty', () => [nonce, new Uint8Array(0), aad]],
      ];
      it.each(cases)('%s', (_name, tamper) => {
        const gcm = new AesGcm(key, { backend });
        const [n, s, a] = tamper(gcm.seal(nonce, pt, aad));
        expectCode(() => gcm.open(n, s, a), 'ERR_AUTH', key);
        const out = new Uint8Array(Math.max(s.length - 16, 0) + 8).fill(0xa5);
        expectCode(() => gcm.open(n, s, a, out), 'ERR_AUTH', key);
        expect(out.every((b) => b === 0)).toBe(true);
      });
    });
  });
});
