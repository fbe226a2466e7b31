/** `sectorcrypt volume ...` as a user runs it: a child process (test/entry.ts). */
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { Volume } from '../../src/index.js';
import { Rng } from '../rng.js';
import { cryptsetup, cryptsetupMissing, expectSameBytes, MiB, scratchDir } from './helpers.js';
import { CLI } from '../entry.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const tmp = scratchDir();
afterAll(() => tmp.cleanup());

function cli(args: string[], input?: Uint8Array) {
  const r = spawnSync(process.execPath, [...CLI, 'volume', ...args], { cwd: root, input, maxBuffer: 64 * MiB });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr.toString() };
}

const CHEAP = ['--pbkdf', 'argon2id', '--pbkdf-memory', '32', '--pbkdf-time', '4', '--pbkdf-parallel', '1'];

describe('sectorcrypt volume', () => {
  it('create, info, write, read, add/remove passphrase, backup/restore, erase', () => {
    const rng = new Rng();
    const image = tmp.path('cli.img');
    const pw1 = tmp.path('pw1');
    const pw2 = tmp.path('pw2');
    writeFileSync(pw1, 'first passphrase');
    writeFileSync(pw2, 'second passphrase');

    const created = cli(['create', image, '--size', '2M', '--passphrase-file', pw1, ...CHEAP]);
    expect(created.status, created.stderr).toBe(0);
    const info = cli(['info', image, '--json']);
    expect(JSON.parse(info.stdout.toString())).toMatchObject({ dataSize: 2 * MiB, sectorSize: 4096, keyBits: 512 });

    const data = rng.bytes(300_000);
    const wrote = cli(['write', image, '--offset', '1000', '--passphrase-file', pw1], data);
    expect(wrote.status, wrote.stderr).toBe(0);
    const read = cli(['read', image, '--offset', '1000', '--length', '300000', '--passphrase-file', pw1]);
    expect(read.status, read.stderr).toBe(0);
    expectSameBytes(read.stdout, data, `seed ${rng.seed}`);
    const out = tmp.path('out.bin');
    expect(cli(['read', image, '--passphrase-file', pw1, '--out', out]).status).toBe(0);
    expect(readFileSync(out).length).toBe(2 * MiB);

    const added = cli([
      'add-passphrase',
      image,
      '--passphrase-file',
      pw1,
      '--new-passphrase-file',
      pw2,
      '--pbkdf',
      'pbkdf2',
      '--pbkdf-iterations',
      '1000',
    ]);
    expect(added.status, added.stderr).toBe(0);
    expect(added.stdout.toString()).toMatch(/added key slot 1/);
    expect(cli(['open-check', image, '--passphrase-file', pw2]).stdout.toString()).toMatch(/key slot 1/);
    if (!cryptsetupMissing()) {
      expect(cryptsetup(['open', '--test-passphrase', image], 'second passphrase', tmp.dir).status).toBe(0);
    }
    expect(cli(['remove-passphrase', image, '--passphrase-file', pw1]).status).toBe(0);
    const refused = cli(['open-check', image, '--passphrase-file', pw1]);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toMatch(/ERR_AUTH/);
    expect(refused.stderr).not.toMatch(/first passphrase/);

    const backup = tmp.path('cli.hdr');
    expect(cli(['backup-header', image, backup]).status).toBe(0);
    const noConfirm = cli(['erase', image]);
    expect(noConfirm.status).not.toBe(0);
    expect(cli(['open-check', image, '--passphrase-file', pw2]).status).toBe(0);
    expect(cli(['erase', image, '--yes']).status).toBe(0);
    expect(cli(['open-check', image, '--passphrase-file', pw2]).stderr).toMatch(/ERR_CORRUPT_HEADER/);
    expect(cli(['restore-header', image, backup]).status).toBe(0);
    const back = cli(['read', image, '--offset', '1000', '--length', '300000', '--passphrase-file', pw2]);
    expectSameBytes(back.stdout, data, `seed ${rng.seed}`);
  }, 300_000); // about twenty child processes: slow on a loaded machine, not a speed check

  it('takes no passphrase on the command line', () => {
    const r = cli(['open-check', tmp.path('none.img'), '--passphrase', 'secret']);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/unknown option/);
  });

  it('reads a plain dm-crypt image with --key-file', async () => {
    const image = tmp.path('plain.img');
    const keyFile = tmp.path('plain.key');
    const key = new Uint8Array(64).map((_, i) => i + 1);
    writeFileSync(keyFile, key);
    writeFileSync(image, new Uint8Array(64 * 1024));
    const vol = await Volume.open(image, { key, format: 'plain' });
    await vol.write(512, new TextEncoder().encode('plain text'));
    await vol.close();
    const r = cli(['read', image, '--key-file', keyFile, '--offset', '512', '--length', '10']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.toString()).toBe('plain text');
  });
});
