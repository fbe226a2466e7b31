/** XTS-128/256 on random inputs against node:crypto's aes-128-xts / aes-256-xts. */
import { describe, expect, it } from 'vitest';
import { XtsCipher } from '../src/index.js';
import { testBackends } from './backends.js';
import { toHex } from './bytes.js';
import { nodeXts, nodeXtsSectors } from './reference.js';
import { Rng } from './rng.js';

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);
const LAST_SECTOR = 2n ** 64n - 1n;

describe.each(testBackends())('%s backend', (backend) => {
  const rng = new Rng();
  const note = `seed ${rng.seed}`;

  describe.each([32, 64])('%i-byte key', (keyLength) => {
    const layouts = [
      { sectorSize: 512, ivSectorSize: 512 },
      { sectorSize: 4096, ivSectorSize: 4096 },
      { sectorSize: 4096, ivSectorSize: 512 },
    ];

    it.each(layouts)('sectors of $sectorSize bytes, tweak unit $ivSectorSize: random first sectors', ({ sectorSize, ivSectorSize }) => {
      const step = BigInt(sectorSize / ivSectorSize);
      for (let round = 0; round < 3; round++) {
        const key = rng.bytes(keyLength);
        const xts = new XtsCipher(key, { backend, sectorSize, ivSectorSize });
        const count = 1 + rng.int(8);
        const data = rng.bytes(count * sectorSize);
        // Small, near 2^53 (largest a number can say), and up to the very last 64-bit sector.
        const starts: (number | bigint)[] = [
          rng.int(1_000_000),
          Number(MAX_SAFE) - (count - 1) - rng.int(1000),
          MAX_SAFE + BigInt(rng.int(1000)),
          LAST_SECTOR - BigInt(count - 1) - BigInt(rng.int(1000)),
          LAST_SECTOR - BigInt(count - 1),
        ];
        for (const first of starts) {
          const expected = nodeXtsSectors('encrypt', key, data, sectorSize, BigInt(first), step);
          const ct = xts.encryptSectors(data, first);
          expect(toHex(ct), `${note} first ${first}`).toBe(toHex(expected));
          expect(toHex(xts.decryptSectors(ct, first)), `${note} first ${first}`).toBe(toHex(data));
        }
        xts.destroy();
      }
    });

    it('a number and the same bigint give the same output', () => {
      const xts = new XtsCipher(rng.bytes(keyLength), { backend, sectorSize: 512 });
      const data = rng.bytes(3 * 512);
      const first = Number(MAX_SAFE) - 2;
      expect(toHex(xts.encryptSectors(data, first))).toBe(toHex(xts.encryptSectors(data, BigInt(first))));
    });

    it('one data unit of every length 16..600 (ciphertext stealing on the odd ones)', () => {
      const key = rng.bytes(keyLength);
      const xts = new XtsCipher(key, { backend });
      for (let n = 16; n <= 600; n++) {
        const tweak = rng.bytes(16);
        const pt = rng.bytes(n);
        const ct = xts.encrypt(tweak, pt);
        expect(toHex(ct), `${note} length ${n}`).toBe(toHex(nodeXts('encrypt', key, tweak, pt)));
        expect(toHex(xts.decrypt(tweak, ct)), `${note} length ${n}`).toBe(toHex(pt));
      }
    });

    it('one large data unit with a short tail (1 MiB + 5 bytes)', () => {
      const key = rng.bytes(keyLength);
      const xts = new XtsCipher(key, { backend });
      const tweak = rng.bytes(16);
      const pt = rng.bytes(1024 * 1024 + 5);
      const ct = xts.encrypt(tweak, pt);
      expect(toHex(ct), note).toBe(toHex(nodeXts('encrypt', key, tweak, pt)));
      expect(toHex(xts.decrypt(tweak, ct)), note).toBe(toHex(pt));
    });

    it('sectors larger than one portable work chunk (1 MiB sectors, tweak unit 512)', () => {
      const key = rng.bytes(keyLength);
      const sectorSize = 1024 * 1024;
      const xts = new XtsCipher(key, { backend, sectorSize, ivSectorSize: 512 });
      const data = rng.bytes(2 * sectorSize);
      const first = BigInt(rng.int(2 ** 40));
      const ct = xts.encryptSectors(data, first);
      expect(toHex(ct), note).toBe(toHex(nodeXtsSectors('encrypt', key, data, sectorSize, first, 2048n)));
      expect(toHex(xts.decryptSectors(ct, first)), note).toBe(toHex(data));
    });

    it('a large batch (4 MiB of 4096-byte sectors) in one call', () => {
      const key = rng.bytes(keyLength);
      const xts = new XtsCipher(key, { backend });
      const data = rng.bytes(4 * 1024 * 1024);
      const first = BigInt(rng.int(2 ** 40));
      const ct = xts.encryptSectors(data, first);
      expect(toHex(ct), note).toBe(toHex(nodeXtsSectors('encrypt', key, data, 4096, first)));
      expect(toHex(xts.decryptSectors(ct, first)), note).toBe(toHex(data));
    });
  });
});
