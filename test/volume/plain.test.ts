/**
 * dm-crypt plain aes-xts-plain64 images, checked against node:crypto with dm-crypt's IV
 * rule: the IV counts 512-byte units unless --iv-large-sectors, and --offset does not count.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { Volume } from '../../src/index.js';
import { Rng } from '../rng.js';
import { expectSameBytes, referenceDecrypt, referenceEncrypt, rejectsWith, scratchDir } from './helpers.js';

const tmp = scratchDir();
afterAll(() => tmp.cleanup());

describe('plain volumes', () => {
  for (const [sectorSize, ivLargeSectors, offset, keyBytes] of [
    [512, false, 0, 64],
    [4096, false, 8192, 64],
    [4096, true, 0, 32],
    [2048, true, 1024, 64],
  ] as const) {
    it(`sector ${sectorSize}, iv_large_sectors ${ivLargeSectors}, offset ${offset}, ${keyBytes * 8}-bit key`, async () => {
      const rng = new Rng();
      const key = rng.bytes(keyBytes);
      const plain = rng.bytes(16 * sectorSize);
      const image = tmp.path(`plain-${sectorSize}-${ivLargeSectors}-${offset}.img`);
      const prefix = rng.bytes(offset);
      writeFileSync(image, Buffer.concat([prefix, referenceEncrypt(key, plain, sectorSize, ivLargeSectors)]));

      const vol = await Volume.open(image, { key, format: 'plain', sectorSize, offset, ivLargeSectors });
      expect(vol.format).toBe('plain');
      expect(vol.size).toBe(plain.length);
      expectSameBytes(await vol.read(0, plain.length), plain, `seed ${rng.seed}`);
      const patch = rng.bytes(3 * sectorSize - 7);
      await vol.write(sectorSize + 3, patch);
      plain.set(patch, sectorSize + 3);
      await vol.close();

      const bytes = new Uint8Array(readFileSync(image));
      expectSameBytes(bytes.subarray(0, offset), prefix, 'the bytes before the offset stay');
      expectSameBytes(referenceDecrypt(key, bytes.subarray(offset), sectorSize, ivLargeSectors), plain, `seed ${rng.seed}`);
    });
  }

  it('checks its options and the size', async () => {
    const image = tmp.path('plain-opts.img');
    writeFileSync(image, new Uint8Array(8192));
    const key = new Uint8Array(64).map((_, i) => i);
    await rejectsWith(Volume.open(image, { key: new Uint8Array(16), format: 'plain' }), 'ERR_KEY_LENGTH');
    await rejectsWith(Volume.open(image, { key: new Uint8Array(64), format: 'plain' }), 'ERR_XTS_WEAK_KEY');
    await rejectsWith(Volume.open(image, { key, format: 'plain', offset: 100 }), 'ERR_ARGUMENT');
    await rejectsWith(Volume.open(image, { key, format: 'plain', sectorSize: 1000 as 512 }), 'ERR_ARGUMENT');
    await rejectsWith(Volume.open(image, { key, format: 'plain', size: 16384 }), 'ERR_TRUNCATED');
    const vol = await Volume.open(image, { key, format: 'plain', size: 4096 });
    expect(vol.size).toBe(4096);
    await rejectsWith(vol.read(4000, 100), 'ERR_OUT_OF_RANGE');
    await vol.close();
  });
});
