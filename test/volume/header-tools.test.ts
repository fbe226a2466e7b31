/** Crypto-erase, header backup and restore. */
import { afterAll, describe, expect, it } from 'vitest';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { Volume } from '../../src/index.js';
import { CHEAP_CREATE, DATA_OFFSET, MiB, rejectsWith, scratchDir } from './helpers.js';

const tmp = scratchDir();
afterAll(() => tmp.cleanup());

async function makeImage(name: string): Promise<string> {
  const image = tmp.path(name);
  const vol = await Volume.create(image, { size: MiB, passphrase: 'pw', ...CHEAP_CREATE });
  await vol.write(0, new TextEncoder().encode('payload'));
  await vol.close();
  return image;
}

describe('Volume.erase', () => {
  it('overwrites both headers and the whole key slot area; the data stays but cannot be opened', async () => {
    const image = await makeImage('erase.img');
    const before = readFileSync(image);
    await Volume.erase(image);
    const after = readFileSync(image);
    expect(after.length).toBe(before.length);
    // Every 4 KiB block of the metadata area changed (no slot material or header left).
    for (let at = 0; at < DATA_OFFSET; at += 4096) {
      expect(after.subarray(at, at + 4096).equals(before.subarray(at, at + 4096)), `block at ${at}`).toBe(false);
    }
    expect(after.subarray(DATA_OFFSET).equals(before.subarray(DATA_OFFSET))).toBe(true);
    await rejectsWith(Volume.open(image, { passphrase: 'pw' }), 'ERR_CORRUPT_HEADER');
  });

  it('refuses a file that holds no LUKS2 header (it would destroy unrelated data)', async () => {
    const image = tmp.path('not-luks.img');
    writeFileSync(image, new Uint8Array(MiB).fill(7));
    await rejectsWith(Volume.erase(image), 'ERR_CORRUPT_HEADER');
    expect(readFileSync(image).every((b) => b === 7)).toBe(true);
  });
});

describe('header backup and restore', () => {
  it('a backup restores a volume whose headers were destroyed, passphrases and data intact', async () => {
    const image = await makeImage('backup.img');
    const backup = tmp.path('backup.hdr');
    await Volume.backupHeader(image, backup);
    expect(statSync(backup).size).toBe(DATA_OFFSET);
    expect(statSync(backup).mode & 0o777).toBe(0o600);
    await rejectsWith(Volume.backupHeader(image, backup), 'ERR_EXISTS');

    const bytes = readFileSync(image);
    bytes.fill(0, 0, 2 * 16384);
    writeFileSync(image, bytes);
    await rejectsWith(Volume.open(image, { passphrase: 'pw' }), 'ERR_CORRUPT_HEADER');
    await Volume.restoreHeader(image, backup);
    const vol = await Volume.open(image, { passphrase: 'pw' });
    expect(new TextDecoder().decode(await vol.read(0, 7))).toBe('payload');
    await vol.close();
  });

  it('refuses a damaged backup, and a backup of another volume unless forced', async () => {
    const a = await makeImage('a.img');
    const b = await makeImage('b.img');
    const backupA = tmp.path('a.hdr');
    await Volume.backupHeader(a, backupA);
    await rejectsWith(Volume.restoreHeader(b, backupA), 'ERR_EXISTS');
    await rejectsWith(Volume.open(b, { passphrase: 'nope' }), 'ERR_AUTH');

    const damaged = tmp.path('damaged.hdr');
    const bytes = readFileSync(backupA);
    bytes[100] ^= 1;
    bytes[16384 + 100] ^= 1;
    writeFileSync(damaged, bytes);
    await rejectsWith(Volume.restoreHeader(a, damaged), 'ERR_CORRUPT_HEADER');
    const short = tmp.path('short.hdr');
    writeFileSync(short, readFileSync(backupA).subarray(0, 40000));
    await rejectsWith(Volume.restoreHeader(a, short), 'ERR_CORRUPT_HEADER');

    await Volume.restoreHeader(b, backupA, { force: true });
    // b now carries a's key slots: a's volume key, so b's data reads as noise, but it opens.
    const vol = await Volume.open(b, { passphrase: 'pw' });
    expect((await Volume.inspect(b)).uuid).toBe((await Volume.inspect(a)).uuid);
    await vol.close();
  });
});
