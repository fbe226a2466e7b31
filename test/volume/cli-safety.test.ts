/**
 * `sectorcrypt volume ...` never destroys data by surprise, run as a child process:
 * create over existing data, a failed or interrupted create, plain writes onto LUKS images,
 * conflicting key flags, header restores that would roll key slots back, and --out files.
 * Images are compared byte for byte afterwards.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Volume } from '../../src/index.js';
import { Rng } from '../rng.js';
import { cli as run, root, startCli, waitFor } from '../cli/run.js';
import { CHEAP_CREATE, expectSameBytes, MiB, scratchDir } from './helpers.js';
import { CLI } from '../entry.js';

const tmp = scratchDir();
afterAll(() => tmp.cleanup());
const rng = new Rng();
const CHEAP = ['--pbkdf', 'argon2id', '--pbkdf-memory', '32', '--pbkdf-time', '4', '--pbkdf-parallel', '1'];
const cli = (args: string[], input?: Uint8Array) => run(['volume', ...args], input);
const pw = tmp.path('pw');
writeFileSync(pw, 'pw', { mode: 0o600 });

async function luksImage(name: string): Promise<string> {
  const image = tmp.path(name);
  await (await Volume.create(image, { size: MiB, passphrase: 'pw', ...CHEAP_CREATE })).close();
  return image;
}

describe('volume create', () => {
  it('over an existing LUKS2 volume: exit 1, ERR_EXISTS naming --force, the old volume intact; --force replaces it', async () => {
    const image = await luksImage('old.img');
    const before = readFileSync(image);
    const r = cli(['create', image, '--size', '2M', '--passphrase-file', pw, ...CHEAP]);
    expect(r.status).toBe(1);
    expect(r.stdout.toString()).toBe('');
    expect(r.stderr).toMatch(/^sectorcrypt: .*old\.img.*--force.*\(ERR_EXISTS\)\n$/);
    expectSameBytes(readFileSync(image), before);

    const forced = cli(['create', image, '--size', '2M', '--passphrase-file', pw, '--force', ...CHEAP]);
    expect(forced.status, forced.stderr).toBe(0);
    expect((await Volume.inspect(image)).dataSize).toBe(2 * MiB);
  });

  it('over an ordinary file: refused, the file unchanged', () => {
    const file = tmp.path('ordinary.bin');
    const data = rng.bytes(70_000);
    writeFileSync(file, data);
    const r = cli(['create', file, '--size', '1M', '--passphrase-file', pw, ...CHEAP]);
    expect(r.stderr).toMatch(/\(ERR_EXISTS\)/);
    expectSameBytes(readFileSync(file), data);
  });

  it('a size the file system refuses (--size 100T) leaves no file and a coded error', (ctx) => {
    const dir = mkdtempSync(join(tmpdir(), 'sectorcrypt-cli-big-'));
    try {
      const image = join(dir, 'huge.img');
      const r = cli(['create', image, '--size', '100T', '--passphrase-file', pw, ...CHEAP]);
      // A file system that takes a 100 TiB sparse file (tmpfs) gives nothing to test.
      if (r.status === 0) ctx.skip();
      expect(r.stderr).toMatch(/huge\.img.*\(ERR_IO\)\n$/);
      expect(existsSync(image)).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('SIGTERM while the key slot KDF runs removes the new file (exit 143)', async () => {
    const image = tmp.path('interrupted.img');
    // The default argon2id costs (256 MiB, 4 passes) keep the run busy after the file appears.
    const create = startCli(['volume', 'create', image, '--size', '1M', '--passphrase-file', pw]);
    await waitFor(() => existsSync(image), 'the new image file');
    create.child.kill('SIGTERM');
    const { status } = await create.exited;
    expect(status).toBe(143);
    expect(existsSync(image)).toBe(false);
  });
});

describe('plain mode on a LUKS2 image', () => {
  const keyFile = tmp.path('plain.key');
  writeFileSync(keyFile, rng.bytes(64), { mode: 0o600 });

  it('volume write --key-file is refused (ERR_EXISTS) and the header is untouched; --force writes', async () => {
    const image = await luksImage('luks-plain.img');
    const before = readFileSync(image);
    const data = rng.bytes(4096);
    const r = cli(['write', image, '--key-file', keyFile], data);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/LUKS.*--force.*\(ERR_EXISTS\)\n$/);
    expectSameBytes(readFileSync(image), before);
    const forced = cli(['write', image, '--key-file', keyFile, '--force'], data);
    expect(forced.status, forced.stderr).toBe(0);
    expect(readFileSync(image).subarray(0, 4).toString('latin1')).not.toBe('LUKS');
  });

  it('--key-file with --passphrase-file is ERR_ARGUMENT', async () => {
    const image = await luksImage('both.img');
    const r = cli(['open-check', image, '--key-file', keyFile, '--passphrase-file', pw]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/exclude each other.*\(ERR_ARGUMENT\)\n$/);
  });
});

describe('volume restore-header', () => {
  it('after add-passphrase: refused without --force (stdin not a terminal), saying which slot would be lost; --force restores', async () => {
    const image = await luksImage('restore.img');
    const backup = tmp.path('restore.hdr');
    expect(cli(['backup-header', image, backup]).status).toBe(0);
    const pw2 = tmp.path('pw2');
    writeFileSync(pw2, 'second', { mode: 0o600 });
    const added = cli(['add-passphrase', image, '--passphrase-file', pw, '--new-passphrase-file', pw2, ...CHEAP]);
    expect(added.status, added.stderr).toBe(0);
    const before = readFileSync(image);

    const r = cli(['restore-header', image, backup]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/key slot 1 .*would be removed.*--force.*\(ERR_EXISTS\)\n$/);
    expectSameBytes(readFileSync(image), before);
    expect(cli(['open-check', image, '--passphrase-file', pw2]).status).toBe(0);

    expect(cli(['restore-header', image, backup, '--force']).status).toBe(0);
    expect(cli(['open-check', image, '--passphrase-file', pw2]).stderr).toMatch(/ERR_AUTH/);
  });

  it('on a terminal it lists what would be lost and asks: anything but YES changes nothing, YES restores', async (ctx) => {
    // util-linux `script` gives the child a terminal; without it there is no terminal to test.
    if (spawnSync('script', ['--version']).error) ctx.skip();
    const image = await luksImage('ask.img');
    const backup = tmp.path('ask.hdr');
    await Volume.backupHeader(image, backup);
    const vol = await Volume.open(image, { passphrase: 'pw' });
    await vol.addPassphrase('second', { pbkdf: { type: 'pbkdf2', iterations: 1000 } });
    await vol.close();
    const before = readFileSync(image);

    const answer = async (reply: string) => {
      const command = [process.execPath, ...CLI, 'volume', 'restore-header', image, backup].map((a) => `'${a}'`).join(' ');
      const child = spawn('script', ['-qec', command, '/dev/null'], { cwd: root });
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
      await waitFor(() => out.includes('Type YES'), 'the confirmation prompt');
      child.stdin.write(`${reply}\r`);
      return { status: await exited, out };
    };
    const refused = await answer('yes please');
    expect(refused.out).toMatch(/key slot 1 \(added after the backup\) would be removed/);
    expect(refused.out).toMatch(/not confirmed.*\(ERR_ARGUMENT\)/);
    expect(refused.status).toBe(1);
    expectSameBytes(readFileSync(image), before);

    const confirmed = await answer('YES');
    expect(confirmed.status).toBe(0);
    await (await Volume.open(image, { passphrase: 'pw' })).close();
    expect(await Volume.compareHeader(image, backup)).toEqual([]);
  });

  it('backup-header onto an existing file is ERR_EXISTS, the file unchanged', async () => {
    const image = await luksImage('backup-exists.img');
    const target = tmp.path('taken.hdr');
    writeFileSync(target, 'keep me');
    const r = cli(['backup-header', image, target]);
    expect(r.stderr).toMatch(/\(ERR_EXISTS\)\n$/);
    expect(readFileSync(target, 'utf8')).toBe('keep me');
  });
});

describe('volume read --out', () => {
  it('an existing file needs --force; the image itself is refused even with --force', async () => {
    const image = await luksImage('read.img');
    const out = tmp.path('read.out');
    writeFileSync(out, 'precious');
    const r = cli(['read', image, '--passphrase-file', pw, '--out', out]);
    expect(r.stderr).toMatch(/--force.*\(ERR_EXISTS\)\n$/);
    expect(readFileSync(out, 'utf8')).toBe('precious');
    const before = readFileSync(image);
    const self = cli(['read', image, '--passphrase-file', pw, '--out', image, '--force']);
    expect(self.stderr).toMatch(/is the input .*\(ERR_ARGUMENT\)\n$/);
    expectSameBytes(readFileSync(image), before);
    const forced = cli(['read', image, '--passphrase-file', pw, '--out', out, '--force', '--length', '4096']);
    expect(forced.status, forced.stderr).toBe(0);
    expect(statSync(out).size).toBe(4096);
  });

  it('a missing image is ERR_NOT_FOUND naming it, with no --out file left behind', () => {
    const missing = tmp.path('nonexistent.img');
    const out = tmp.path('never.out');
    const r = cli(['read', missing, '--passphrase-file', pw, '--out', out]);
    expect(r.stderr).toMatch(/nonexistent\.img.*\(ERR_NOT_FOUND\)\n$/);
    expect(existsSync(out)).toBe(false);
  });
});
