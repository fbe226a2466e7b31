/**
 * XTS-AES-192: no published vectors and no OpenSSL aes-192-xts, so check it against the
 * block-at-a-time reference on node:crypto's aes-192-ecb (test/reference.ts). The
 * reference itself is first checked against node:crypto's XTS-128/256.
 */
import { describe, expect, it } from 'vitest';
import { XtsCipher } from '../src/index.js';
import { testBackends } from './backends.js';
import { le128, toHex } from './bytes.js';
import { nodeXts, referenceXts } from './reference.js';
import { Rng } from './rng.js';

const rng = new Rng();
const note = `seed ${rng.seed}`;
const LENGTHS = [16, 17, 31, 32, 33, 47, 48, 100, 255, 512, 527];

it('the reference agrees with node:crypto XTS-128 and XTS-256', () => {
  for (const keyLength of [32, 64]) {
    for (const n of LENGTHS) {
      const key = rng.bytes(keyLength);
      const tweak = rng.bytes(16);
      const pt = rng.bytes(n);
      const ct = nodeXts('encrypt', key, tweak, pt);
      expect(toHex(referenceXts('encrypt', key, tweak, pt)), `${note} ${keyLength} ${n}`).toBe(toHex(ct));
      expect(toHex(referenceXts('decrypt', key, tweak, ct)), `${note} ${keyLength} ${n}`).toBe(toHex(pt));
    }
  }
});

describe.each(testBackends())('%s backend', (backend) => {
  it('data units of assorted lengths match the aes-192-ecb reference', () => {
    for (const n of LENGTHS) {
      const key = rng.bytes(48);
      const tweak = rng.bytes(16);
      const pt = rng.bytes(n);
      const xts = new XtsCipher(key, { backend });
      const ct = xts.encrypt(tweak, pt);
      expect(toHex(ct), `${note} length ${n}`).toBe(toHex(referenceXts('encrypt', key, tweak, pt)));
      expect(toHex(xts.decrypt(tweak, ct)), `${note} length ${n}`).toBe(toHex(pt));
    }
  });

  it.each([
    { sectorSize: 512, ivSectorSize: 512 },
    { sectorSize: 4096, ivSectorSize: 512 },
  ])('sectors of $sectorSize bytes, tweak unit $ivSectorSize, match the reference', ({ sectorSize, ivSectorSize }) => {
    const key = rng.bytes(48);
    const xts = new XtsCipher(key, { backend, sectorSize, ivSectorSize });
    const count = 3;
    const data = rng.bytes(count * sectorSize);
    const first = 2n ** 64n - BigInt(count) - BigInt(rng.int(100));
    const ct = xts.encryptSectors(data, first);
    for (let i = 0; i < count; i++) {
      const tweak = le128((first + BigInt(i)) * BigInt(sectorSize / ivSectorSize));
      const sector = data.subarray(i * sectorSize, (i + 1) * sectorSize);
      expect(toHex(ct.subarray(i * sectorSize, (i + 1) * sectorSize)), `${note} sector ${i}`).toBe(
        toHex(referenceXts('encrypt', key, tweak, sector)),
      );
    }
    expect(toHex(xts.decryptSectors(ct, first)), note).toBe(toHex(data));
  });
});
