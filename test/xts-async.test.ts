/** Async XTS batches big enough to be cut into thread-pool slices equal the sync result. */
import { describe, expect, it } from 'vitest';
import { XtsCipher } from '../src/index.js';
import { testBackends } from './backends.js';
import { toHex } from './bytes.js';
import { Rng } from './rng.js';

describe.each(testBackends())('%s backend', (backend) => {
  const rng = new Rng();
  const note = `seed ${rng.seed}`;

  it.each([
    [4096, 4096, 3 * 1024 * 1024 + 4096, 2n ** 64n - 2000n],
    [4096, 512, 2 * 1024 * 1024, 123456789n],
    [512, 512, 1024 * 1024 + 512, 0n],
  ])('sector %i, iv unit %i, %i bytes from sector %i', async (sectorSize, ivSectorSize, length, first) => {
    const xts = new XtsCipher(rng.bytes(64), { sectorSize, ivSectorSize, backend });
    const data = rng.bytes(length);
    const expected = xts.encryptSectors(data, first);
    expect(toHex(await xts.encryptSectorsAsync(data, first)) === toHex(expected), note).toBe(true);
    const back = await xts.decryptSectorsAsync(expected, first);
    expect(toHex(back) === toHex(data), note).toBe(true);
    // In place, as volume writes do.
    const copy = Uint8Array.from(data);
    await xts.encryptSectorsAsync(copy, first, copy);
    expect(toHex(copy) === toHex(expected), note).toBe(true);
  });
});
