/** Portable and native give the same bytes on random inputs (DESIGN: identical output). */
import { describe, expect, it } from 'vitest';
import { AesGcm, XtsCipher } from '../src/index.js';
import { cpuHasAesNi, testBackends } from './backends.js';
import { toHex } from './bytes.js';
import { Rng } from './rng.js';

const others = testBackends().filter((b) => b !== 'portable');

it('compares native wherever the CPU has AES-NI and PCLMULQDQ', () => {
  const missing = cpuHasAesNi() && !others.includes('native');
  expect(missing).toBe(false);
});

describe.each(others)('portable vs %s', (other) => {
  const rng = new Rng();
  const note = `seed ${rng.seed}`;

  it.each([32, 48, 64])('XTS sectors, %i-byte keys, assorted layouts and sector numbers', (keyLength) => {
    for (const [sectorSize, ivSectorSize] of [
      [512, 512],
      [4096, 4096],
      [4096, 512],
      [16, 16],
      [65536, 512],
    ]) {
      const key = rng.bytes(keyLength);
      const a = new XtsCipher(key, { backend: 'portable', sectorSize, ivSectorSize });
      const b = new XtsCipher(key, { backend: other, sectorSize, ivSectorSize });
      const count = 1 + rng.int(Math.max(1, Math.floor(300_000 / sectorSize)));
      const data = rng.bytes(count * sectorSize);
      const first = rng.int(2) ? BigInt(rng.int(2 ** 48)) : 2n ** 64n - BigInt(count) - BigInt(rng.int(1000));
      const ct = a.encryptSectors(data, first);
      expect(toHex(b.encryptSectors(data, first)), `${note} ${sectorSize}/${ivSectorSize} first ${first}`).toBe(toHex(ct));
      expect(toHex(b.decryptSectors(ct, first)), note).toBe(toHex(data));
    }
  });

  it.each([32, 48, 64])('XTS data units of random lengths, %i-byte keys', (keyLength) => {
    const key = rng.bytes(keyLength);
    const a = new XtsCipher(key, { backend: 'portable' });
    const b = new XtsCipher(key, { backend: other });
    for (let round = 0; round < 200; round++) {
      const n = 16 + rng.int(round < 150 ? 300 : 70_000);
      const tweak = rng.bytes(16);
      const pt = rng.bytes(n);
      const ct = a.encrypt(tweak, pt);
      expect(toHex(b.encrypt(tweak, pt)), `${note} length ${n}`).toBe(toHex(ct));
      expect(toHex(b.decrypt(tweak, ct)), `${note} length ${n}`).toBe(toHex(pt));
    }
  });

  it.each([16, 24, 32])('GCM, %i-byte keys, random lengths and AAD', (keyLength) => {
    const key = rng.bytes(keyLength);
    const a = new AesGcm(key, { backend: 'portable' });
    const b = new AesGcm(key, { backend: other });
    for (let round = 0; round < 100; round++) {
      const n = rng.int(round < 80 ? 600 : 200_000);
      const nonce = rng.bytes(12);
      const pt = rng.bytes(n);
      const aad = rng.bytes(rng.int(300));
      const sealed = a.seal(nonce, pt, aad);
      expect(toHex(b.seal(nonce, pt, aad)), `${note} length ${n} aad ${aad.length}`).toBe(toHex(sealed));
      expect(toHex(b.open(nonce, sealed, aad)), note).toBe(toHex(pt));
    }
  });
});
