/**
 * Damage and concurrency: flipped header bytes, interrupted header updates, truncated
 * images, reads racing writes. Each failure is a clear error, never garbage data.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { copyFileSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { Volume } from '../../src/index.js';
import { Rng } from '../rng.js';
import { CHEAP, CHEAP_CREATE, MiB, expectSameBytes, rejectsWith, scratchDir } from './helpers.js';

const tmp = scratchDir();
afterAll(() => tmp.cleanup());

const HDR = 16384;
/** Bytes 480..511 are the unused tail of the 64-byte checksum field; LUKS2 hashes them as zeros. */
function flippable(rng: Rng, base: number): number {
  for (;;) {
    const at = rng.int(HDR);
    if (at < 480 || at >= 512) return base + at;
  }
}

async function makeImage(name: string, data = 'payload'): Promise<string> {
  const image = tmp.path(name);
  const vol = await Volume.create(image, { size: 64 * 1024, passphrase: 'pw', ...CHEAP_CREATE });
  await vol.write(0, new TextEncoder().encode(data));
  await vol.close();
  return image;
}

async function readsPayload(image: string, passphrase = 'pw'): Promise<string> {
  const vol = await Volume.open(image, { passphrase, readOnly: true });
  try {
    return new TextDecoder().decode(await vol.read(0, 7));
  } finally {
    await vol.close();
  }
}

describe('damaged headers', () => {
  it('a byte flip in one copy falls back to the other; flips in both are ERR_CORRUPT_HEADER', async () => {
    const rng = new Rng();
    const original = await makeImage('flip-src.img');
    const pristine = readFileSync(original);
    const image = tmp.path('flip.img');
    for (let round = 0; round < 12; round++) {
      const primaryAt = flippable(rng, 0);
      const secondaryAt = flippable(rng, HDR);
      const mask = 1 + rng.int(255);
      const note = `seed ${rng.seed}, round ${round}, offsets ${primaryAt}/${secondaryAt}`;
      for (const [where, offsets] of [
        ['primary', [primaryAt]],
        ['secondary', [secondaryAt]],
        ['both', [primaryAt, secondaryAt]],
      ] as const) {
        const bytes = Buffer.from(pristine);
        for (const at of offsets) bytes[at] ^= mask;
        writeFileSync(image, bytes);
        if (where === 'both') {
          await rejectsWith(Volume.open(image, { passphrase: 'pw' }), 'ERR_CORRUPT_HEADER');
          await rejectsWith(Volume.inspect(image), 'ERR_CORRUPT_HEADER');
        } else {
          expect(await readsPayload(image), note).toBe('payload');
          const info = await Volume.inspect(image);
          expect(info.problems.join(' '), note).toMatch(new RegExp(`^${where} header`));
        }
      }
    }
  });

  it('a file with no LUKS2 header is ERR_CORRUPT_HEADER', async () => {
    const image = tmp.path('zeros.img');
    writeFileSync(image, new Uint8Array(64 * 1024));
    const err = await rejectsWith(Volume.open(image, { passphrase: 'pw' }), 'ERR_CORRUPT_HEADER');
    expect(err.message).toMatch(/no LUKS2 header/);
  });

  it('a damaged key slot area is ERR_AUTH with the right passphrase, never a wrong key', async () => {
    const image = await makeImage('slot-damage.img');
    const bytes = readFileSync(image);
    bytes[2 * HDR + 12345] ^= 0x01;
    writeFileSync(image, bytes);
    await rejectsWith(Volume.open(image, { passphrase: 'pw' }), 'ERR_AUTH');
  });

  it('a wrong passphrase is ERR_AUTH and the message does not carry it', async () => {
    const image = await makeImage('wrong.img');
    const err = await rejectsWith(Volume.open(image, { passphrase: 'secret-guess-123' }), 'ERR_AUTH');
    expect(err.message).not.toMatch(/secret-guess/);
  });
});

describe('interrupted header updates', () => {
  /** The image before and after adding passphrase "new", so a crash can be replayed from the bytes. */
  async function beforeAfter(name: string): Promise<{ image: string; before: Buffer; after: Buffer }> {
    const image = await makeImage(name);
    const before = readFileSync(image);
    const vol = await Volume.open(image, { passphrase: 'pw' });
    await vol.addPassphrase('new', { pbkdf: CHEAP });
    await vol.close();
    return { image, before, after: readFileSync(image) };
  }

  it('crash after the secondary copy: the newer secondary wins, both passphrases open', async () => {
    const { image, before, after } = await beforeAfter('crash-a.img');
    const bytes = Buffer.from(after);
    before.copy(bytes, 0, 0, HDR); // old primary, new secondary, new slot material
    writeFileSync(image, bytes);
    expect(await readsPayload(image, 'new')).toBe('payload');
    expect(await readsPayload(image, 'pw')).toBe('payload');
    expect((await Volume.inspect(image)).problems.join(' ')).toMatch(/interrupted/);
  });

  it('crash while writing the secondary copy: the old primary still opens', async () => {
    const { image, before, after } = await beforeAfter('crash-b.img');
    const bytes = Buffer.from(after);
    before.copy(bytes, 0, 0, HDR);
    before.copy(bytes, HDR + 4096 + 100, HDR + 4096 + 100, 2 * HDR); // torn inside the JSON
    writeFileSync(image, bytes);
    expect(await readsPayload(image, 'pw')).toBe('payload');
    await rejectsWith(Volume.open(image, { passphrase: 'new' }), 'ERR_AUTH');
  });

  it('crash while writing the primary copy: the new secondary opens', async () => {
    const { image, before, after } = await beforeAfter('crash-c.img');
    const bytes = Buffer.from(after);
    before.copy(bytes, 3000, 3000, HDR); // torn primary
    writeFileSync(image, bytes);
    expect(await readsPayload(image, 'new')).toBe('payload');
  });
});

describe('truncated images', () => {
  for (const [what, length, code] of [
    ['inside the primary header', 8000, 'ERR_TRUNCATED'],
    ['inside the secondary header', 20000, 'ERR_TRUNCATED'],
    ['inside the key slot area', 100_000, 'ERR_TRUNCATED'],
    ['before the data', 16 * MiB - 1, 'ERR_TRUNCATED'],
  ] as const) {
    it(`cut ${what}: ${code}`, async () => {
      const image = await makeImage(`trunc-${length}.img`);
      truncateSync(image, length);
      await rejectsWith(Volume.open(image, { passphrase: 'pw' }), code);
    });
  }

  it('a file cut while open: reads of the lost part are ERR_TRUNCATED', async () => {
    const image = await makeImage('trunc-open.img');
    const vol = await Volume.open(image, { passphrase: 'pw' });
    truncateSync(image, 16 * MiB + 8192);
    expect(new TextDecoder().decode(await vol.read(0, 7))).toBe('payload');
    await rejectsWith(vol.read(60 * 1024, 10), 'ERR_TRUNCATED');
    await vol.close();
  });
});

describe('concurrency', () => {
  it('a reader never sees part of a write (sector-atomic, in fact write-atomic)', async () => {
    const image = tmp.path('atomic.img');
    const vol = await Volume.create(image, { size: 256 * 1024, passphrase: 'pw', sectorSize: 512, ...CHEAP_CREATE });
    const start = 300;
    const length = 200 * 1024;
    const ops: Promise<unknown>[] = [];
    const seen: Uint8Array[] = [];
    for (let v = 1; v <= 40; v++) {
      ops.push(vol.write(start, new Uint8Array(length).fill(v)));
      ops.push(vol.read(start, length).then((r) => seen.push(r)));
    }
    await Promise.all(ops);
    expect(seen).toHaveLength(40);
    for (const r of seen) {
      const first = r[0];
      expect(r.every((b) => b === first)).toBe(true);
    }
    await vol.close();
  });

  it('overlapping writes land in the order issued', async () => {
    const rng = new Rng();
    const image = tmp.path('order.img');
    const size = 512 * 1024;
    const vol = await Volume.create(image, { size, passphrase: 'pw', ...CHEAP_CREATE });
    const model = new Uint8Array(size);
    await vol.write(0, model); // unwritten sectors decrypt to noise, not zeros
    const writes: Promise<void>[] = [];
    for (let i = 0; i < 50; i++) {
      // Big writes then small ones on top: a small write would finish first if not ordered.
      const len = i % 2 === 0 ? size - rng.int(1000) : 1 + rng.int(5000);
      const pos = rng.int(size - len + 1);
      const data = rng.bytes(len);
      model.set(data, pos);
      writes.push(vol.write(pos, data));
    }
    await Promise.all(writes);
    expectSameBytes(await vol.read(0, size), model, `seed ${rng.seed}`);
    await vol.close();
  });
});
