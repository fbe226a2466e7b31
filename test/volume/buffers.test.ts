/** Volume reads and writes reuse I/O buffers internally; what callers get must never alias them. */
import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { Volume } from '../../src/index.js';
import { CHEAP_CREATE, MiB, scratchDir } from './helpers.js';

const scratch = scratchDir();
afterAll(() => scratch.cleanup());

describe('volume buffers', () => {
  it('results of aligned reads are independent of each other and of later writes', async () => {
    const vol = await Volume.create(scratch.path('alias.img'), { size: 4 * MiB, passphrase: 'p', ...CHEAP_CREATE });
    try {
      const a = randomBytes(MiB);
      const b = randomBytes(MiB);
      await vol.write(0, a);
      await vol.write(MiB, b);
      const first = await vol.read(0, MiB);
      const second = await vol.read(MiB, MiB);
      const again = await vol.read(0, MiB);
      expect(Buffer.from(first).equals(a)).toBe(true);
      expect(Buffer.from(second).equals(b)).toBe(true);
      first.fill(0);
      expect(Buffer.from(again).equals(a)).toBe(true);
      // A later write through the reused buffers leaves earlier results as they were.
      await vol.write(0, b);
      expect(Buffer.from(again).equals(a)).toBe(true);
      expect(Buffer.from(second).equals(b)).toBe(true);
      expect(Buffer.from(await vol.read(0, MiB)).equals(b)).toBe(true);
    } finally {
      await vol.close();
    }
  });

  it('concurrent aligned reads each get their own bytes', async () => {
    const vol = await Volume.create(scratch.path('concurrent.img'), { size: 4 * MiB, passphrase: 'p', ...CHEAP_CREATE });
    try {
      const data = randomBytes(4 * MiB);
      await vol.write(0, data);
      const parts = await Promise.all([0, 1, 2, 3].map((i) => vol.read(i * MiB, MiB)));
      parts.forEach((p, i) => expect(Buffer.from(p).equals(data.subarray(i * MiB, (i + 1) * MiB))).toBe(true));
    } finally {
      await vol.close();
    }
  });
});
