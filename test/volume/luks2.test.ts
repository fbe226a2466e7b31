/** LUKS2 volumes made and used by sectorcrypt: byte-level I/O against a model, key slots, errors. */
import { afterAll, describe, expect, it } from 'vitest';
import { statSync } from 'node:fs';
import { Volume } from '../../src/index.js';
import { Rng } from '../rng.js';
import { CHEAP, CHEAP_CREATE, CHEAP_PBKDF2, DATA_OFFSET, MiB, expectSameBytes, rejectsWith, scratchDir } from './helpers.js';

const tmp = scratchDir();
afterAll(() => tmp.cleanup());

describe('Volume.create / open', () => {
  it('makes a file of 16 MiB metadata plus size, and reopens with the passphrase', async () => {
    const image = tmp.path('basic.img');
    const vol = await Volume.create(image, { size: MiB, passphrase: 'pw', ...CHEAP_CREATE });
    expect(vol.size).toBe(MiB);
    expect(vol.sectorSize).toBe(4096);
    expect(vol.format).toBe('luks2');
    await vol.close();
    expect(statSync(image).size).toBe(DATA_OFFSET + MiB);
    const again = await Volume.open(image, { passphrase: new TextEncoder().encode('pw') });
    expect(again.size).toBe(MiB);
    await again.close();
    const info = await Volume.inspect(image);
    expect(info).toMatchObject({ sectorSize: 4096, keyBits: 512, dataOffset: DATA_OFFSET, dataSize: MiB, problems: [] });
    expect(info.keyslots).toEqual([{ slot: 0, kdf: 'argon2id', priority: 1 }]);
  });

  it('checks its options', async () => {
    const image = tmp.path('opts.img');
    await rejectsWith(Volume.create(image, { size: 1000, passphrase: 'pw', ...CHEAP_CREATE }), 'ERR_ARGUMENT');
    await rejectsWith(Volume.create(image, { size: MiB, passphrase: '', ...CHEAP_CREATE }), 'ERR_ARGUMENT');
    await rejectsWith(Volume.create(image, { size: MiB, passphrase: 'pw', sectorSize: 1000 as 512, ...CHEAP_CREATE }), 'ERR_ARGUMENT');
    await rejectsWith(Volume.create(image, { size: MiB, passphrase: 'pw', keyBits: 384 as 512, ...CHEAP_CREATE }), 'ERR_ARGUMENT');
    await rejectsWith(Volume.create(image, { size: MiB, passphrase: 'pw', pbkdf: { type: 'argon2id', time: 1 } }), 'ERR_ARGUMENT');
    await rejectsWith(Volume.create(image, { size: MiB, passphrase: 'pw', pbkdf: CHEAP, digestIterations: 10 }), 'ERR_ARGUMENT');
    expect(() => statSync(image)).toThrow(/ENOENT/); // nothing was created
  });

  it('bad options leave an existing volume untouched', async () => {
    const image = tmp.path('keep.img');
    await (await Volume.create(image, { size: MiB, passphrase: 'pw', ...CHEAP_CREATE })).close();
    await rejectsWith(Volume.create(image, { size: MiB, passphrase: 'other', pbkdf: { type: 'pbkdf2', iterations: 5 } }), 'ERR_ARGUMENT');
    await (await Volume.open(image, { passphrase: 'pw' })).close();
  });

  it('recreating over an old volume (with overwrite) destroys its key slots', async () => {
    const image = tmp.path('recreate.img');
    await (await Volume.create(image, { size: MiB, passphrase: 'first', ...CHEAP_CREATE })).close();
    await (await Volume.create(image, { size: 2 * MiB, passphrase: 'second', overwrite: true, ...CHEAP_CREATE })).close();
    await rejectsWith(Volume.open(image, { passphrase: 'first' }), 'ERR_AUTH');
    const vol = await Volume.open(image, { passphrase: 'second' });
    expect(vol.size).toBe(2 * MiB);
    await vol.close();
  });
});

describe('read and write at any offset', () => {
  for (const sectorSize of [512, 4096] as const) {
    it(`matches a plain buffer model over random unaligned writes (${sectorSize}-byte sectors)`, async () => {
      const rng = new Rng();
      const image = tmp.path(`model-${sectorSize}.img`);
      const size = 256 * 1024;
      const vol = await Volume.create(image, { size, passphrase: 'pw', sectorSize, ...CHEAP_CREATE });
      const model = new Uint8Array(size);
      await vol.write(0, model);
      for (let i = 0; i < 60; i++) {
        const pos = rng.int(size);
        const len = rng.int(Math.min(size - pos, 3 * sectorSize));
        const data = rng.bytes(len);
        await vol.write(pos, data);
        model.set(data, pos);
      }
      for (let i = 0; i < 30; i++) {
        const pos = rng.int(size);
        const len = rng.int(size - pos);
        expectSameBytes(await vol.read(pos, len), model.subarray(pos, pos + len), `seed ${rng.seed}`);
      }
      await vol.close();
      const again = await Volume.open(image, { passphrase: 'pw' });
      expectSameBytes(await again.read(0, size), model, `seed ${rng.seed}`);
      await again.close();
    });
  }

  it('writes never change the caller buffer; the file holds no plaintext', async () => {
    const image = tmp.path('noplain.img');
    const vol = await Volume.create(image, { size: 64 * 1024, passphrase: 'pw', ...CHEAP_CREATE });
    const text = new TextEncoder().encode('PLAINTEXT-MARKER-'.repeat(100));
    const copy = text.slice();
    await vol.write(5, text);
    expect(text).toEqual(copy);
    await vol.close();
    const { readFileSync } = await import('node:fs');
    expect(readFileSync(image).includes(Buffer.from('PLAINTEXT-MARKER-'))).toBe(false);
  });

  it('reads into a caller buffer; close waits for reads in flight', async () => {
    const image = tmp.path('out.img');
    const vol = await Volume.create(image, { size: 64 * 1024, passphrase: 'pw', ...CHEAP_CREATE });
    const data = new Uint8Array(64 * 1024).map((_, i) => i * 7);
    await vol.write(0, data);
    const out = new Uint8Array(70 * 1024).fill(0xee);
    const aligned = await vol.read(4096, 8192, out);
    expect(aligned.buffer).toBe(out.buffer);
    expectSameBytes(aligned, data.subarray(4096, 12288));
    const unaligned = await vol.read(5, 100, out);
    expectSameBytes(unaligned, data.subarray(5, 105));
    expect(out[100]).toBe(data[4096 + 100]); // only the first 100 bytes were rewritten
    await rejectsWith(vol.read(0, 100, new Uint8Array(10)), 'ERR_ARGUMENT');
    const pending = [vol.read(0, 65536), vol.read(100, 30000)];
    await vol.close();
    expect((await Promise.all(pending)).map((r) => r.length)).toEqual([65536, 30000]);
  });

  it('reads and writes past the end are ERR_OUT_OF_RANGE; bad arguments ERR_ARGUMENT', async () => {
    const vol = await Volume.create(tmp.path('range.img'), { size: 8192, passphrase: 'pw', ...CHEAP_CREATE });
    await rejectsWith(vol.read(8000, 200), 'ERR_OUT_OF_RANGE');
    await rejectsWith(vol.read(8193, 0), 'ERR_OUT_OF_RANGE');
    await rejectsWith(vol.write(8190, new Uint8Array(3)), 'ERR_OUT_OF_RANGE');
    await rejectsWith(vol.read(-1, 1), 'ERR_ARGUMENT');
    await rejectsWith(vol.read(1.5, 1), 'ERR_ARGUMENT');
    await rejectsWith(vol.write(0, 'text' as unknown as Uint8Array), 'ERR_ARGUMENT');
    expect(await vol.read(8192, 0)).toHaveLength(0);
    expect(await vol.read(8191, 1)).toHaveLength(1);
    await vol.close();
    await rejectsWith(vol.read(0, 1), 'ERR_CLOSED');
    await rejectsWith(vol.write(0, new Uint8Array(1)), 'ERR_CLOSED');
  });

  it('a read-only volume refuses writes and key changes', async () => {
    const image = tmp.path('ro.img');
    await (await Volume.create(image, { size: 8192, passphrase: 'pw', ...CHEAP_CREATE })).close();
    const vol = await Volume.open(image, { passphrase: 'pw', readOnly: true });
    await rejectsWith(vol.write(0, new Uint8Array(1)), 'ERR_ARGUMENT');
    await rejectsWith(vol.addPassphrase('x'), 'ERR_ARGUMENT');
    await vol.close();
  });
});

describe('passphrases', () => {
  it('add, remove, change; a wrong passphrase is ERR_AUTH', async () => {
    const image = tmp.path('slots.img');
    const vol = await Volume.create(image, { size: 8192, passphrase: 'a', ...CHEAP_CREATE });
    await vol.write(0, new TextEncoder().encode('kept'));
    expect(await vol.addPassphrase('b', { pbkdf: CHEAP_PBKDF2 })).toBe(1);
    expect(await vol.addPassphrase('c', { pbkdf: CHEAP })).toBe(2);
    await rejectsWith(vol.removePassphrase('zzz'), 'ERR_AUTH');
    await vol.removePassphrase('a');
    expect(await vol.addPassphrase('d', { pbkdf: CHEAP })).toBe(0);
    expect(await vol.changePassphrase('b', 'e', { pbkdf: CHEAP })).toBe(3);
    await vol.close();

    await rejectsWith(Volume.open(image, { passphrase: 'a' }), 'ERR_AUTH');
    await rejectsWith(Volume.open(image, { passphrase: 'b' }), 'ERR_AUTH');
    for (const [p, slot] of [
      ['c', 2],
      ['d', 0],
      ['e', 3],
    ] as const) {
      const v = await Volume.open(image, { passphrase: p });
      expect(v.keyslot).toBe(slot);
      expect(new TextDecoder().decode(await v.read(0, 4))).toBe('kept');
      await v.close();
    }
  });

  it('concurrent key slot changes do not collide', async () => {
    const image = tmp.path('concurrent-slots.img');
    const vol = await Volume.create(image, { size: 8192, passphrase: 'a', ...CHEAP_CREATE });
    const slots = await Promise.all(['b', 'c', 'd', 'e'].map((p) => vol.addPassphrase(p, { pbkdf: CHEAP_PBKDF2 })));
    expect(slots.sort()).toEqual([1, 2, 3, 4]);
    await Promise.all([vol.removePassphrase('b'), vol.changePassphrase('c', 'f', { pbkdf: CHEAP_PBKDF2 })]);
    await vol.close();
    const info = await Volume.inspect(image);
    expect(info.keyslots.map((k) => k.slot).sort()).toEqual([0, 1, 3, 4]);
    for (const p of ['a', 'd', 'e', 'f']) await (await Volume.open(image, { passphrase: p })).close();
    for (const p of ['b', 'c']) await rejectsWith(Volume.open(image, { passphrase: p }), 'ERR_AUTH');
  });

  it('a failed key slot change leaves the open volume usable', async () => {
    const image = tmp.path('failed-change.img');
    const vol = await Volume.create(image, { size: 8192, passphrase: 'a', ...CHEAP_CREATE });
    await rejectsWith(vol.addPassphrase('b', { pbkdf: { type: 'pbkdf2', iterations: 1 } }), 'ERR_ARGUMENT');
    await rejectsWith(vol.changePassphrase('wrong', 'c', { pbkdf: CHEAP }), 'ERR_AUTH');
    expect(await vol.addPassphrase('b', { pbkdf: CHEAP_PBKDF2 })).toBe(1);
    await vol.close();
    expect((await Volume.inspect(image)).keyslots).toHaveLength(2);
  });

  it('refuses to remove the last passphrase', async () => {
    const vol = await Volume.create(tmp.path('last.img'), { size: 8192, passphrase: 'only', ...CHEAP_CREATE });
    await rejectsWith(vol.removePassphrase('only'), 'ERR_ARGUMENT');
    await vol.close();
  });

  it('runs out of key slots with ERR_NO_KEYSLOT at 32', async () => {
    const vol = await Volume.create(tmp.path('full.img'), { size: 8192, passphrase: 'p0', keyBits: 256, ...CHEAP_CREATE });
    for (let i = 1; i < 32; i++) await vol.addPassphrase(`p${i}`, { pbkdf: CHEAP_PBKDF2 });
    await rejectsWith(vol.addPassphrase('p32', { pbkdf: CHEAP_PBKDF2 }), 'ERR_NO_KEYSLOT');
    await vol.close();
  });
});

describe('plain volumes refuse passphrase operations', () => {
  it('ERR_UNSUPPORTED', async () => {
    const image = tmp.path('plain-ops.img');
    const { writeFileSync } = await import('node:fs');
    writeFileSync(image, new Uint8Array(4096));
    const key = new Uint8Array(64).map((_, i) => i);
    const vol = await Volume.open(image, { key, format: 'plain' });
    await rejectsWith(vol.addPassphrase('x'), 'ERR_UNSUPPORTED');
    await vol.close();
  });
});
