/**
 * encrypt / decrypt never destroy data by surprise, run as a user runs them: an
 * existing output needs --force, the input itself is never an output, an interrupted run
 * leaves no temporary file, a closed pipe ends quietly, and every failure names a code and
 * the user's path. Files are compared byte for byte afterwards.
 */
import { spawnSync } from 'node:child_process';
import {
  closeSync,
  existsSync,
  linkSync,
  openSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Command } from 'commander';
import { afterAll, describe, expect, it } from 'vitest';
import { decryptChunked, encryptChunked } from '../../src/index.js';
import { registerEncrypt } from '../../src/cli/encrypt.js';
import { toHex } from '../bytes.js';
import { Rng } from '../rng.js';
import { cli, root, startCli, waitFor } from './run.js';
import { CLI } from '../entry.js';

const dir = mkdtempSync(path.join(tmpdir(), 'sectorcrypt-safe-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const at = (name: string) => path.join(dir, name);
const rng = new Rng();
const key = rng.bytes(16);
const plain = rng.bytes(3 * 16384 + 77);
writeFileSync(at('key'), key, { mode: 0o600 });
writeFileSync(at('plain'), plain);
const sealed = encryptChunked(key, plain);
writeFileSync(at('sealed.cbl'), sealed);

const temporaries = () => readdirSync(dir).filter((name) => name.endsWith('.tmp'));
const same = (file: string, bytes: Uint8Array | string) =>
  expect(toHex(readFileSync(file))).toBe(toHex(typeof bytes === 'string' ? Buffer.from(bytes) : bytes));

describe('an existing output file', () => {
  it('encrypt and decrypt refuse a non-empty one with ERR_EXISTS and one line naming --force; the file is unchanged', () => {
    writeFileSync(at('existing.txt'), 'unrelated file');
    for (const [cmd, input] of [
      ['encrypt', 'plain'],
      ['decrypt', 'sealed.cbl'],
    ]) {
      const r = cli([cmd, '--key-file', at('key'), at(input), at('existing.txt')]);
      expect(r.status, cmd).toBe(1);
      expect(r.stderr).toMatch(/^sectorcrypt: .*existing\.txt.*--force.*\(ERR_EXISTS\)\n$/);
      same(at('existing.txt'), 'unrelated file');
    }
    expect(temporaries()).toEqual([]);
  });

  it('--force replaces it; an empty file needs no --force', () => {
    writeFileSync(at('replace.txt'), 'old');
    const r = cli(['decrypt', '--force', '--key-file', at('key'), at('sealed.cbl'), at('replace.txt')]);
    expect(r.status, r.stderr).toBe(0);
    same(at('replace.txt'), plain);
    writeFileSync(at('empty.cbl'), '');
    const e = cli(['encrypt', '--key-file', at('key'), at('plain'), at('empty.cbl')]);
    expect(e.status, e.stderr).toBe(0);
    expect(toHex(decryptChunked(key, readFileSync(at('empty.cbl'))))).toBe(toHex(plain));
  });
});

describe('the input as its own output', () => {
  it('is refused even with --force: same path, a symbolic link, a hard link; the input keeps its bytes', () => {
    writeFileSync(at('self.txt'), plain);
    symlinkSync(at('self.txt'), at('self-link.txt'));
    linkSync(at('self.txt'), at('self-hard.txt'));
    for (const [out, force] of [
      ['self.txt', []],
      ['self.txt', ['--force']],
      ['self-link.txt', ['--force']],
      ['self-hard.txt', ['--force']],
    ] as const) {
      const r = cli(['encrypt', ...force, '--key-file', at('key'), at('self.txt'), at(out)]);
      expect(r.status, `${out} ${force}`).toBe(1);
      expect(r.stderr).toMatch(/is the input .*\(ERR_ARGUMENT\)/);
    }
    same(at('self.txt'), plain);
    expect(temporaries()).toEqual([]);
  });

  it('stdin redirected from the output file is refused too (encrypt - out < out)', () => {
    writeFileSync(at('loop.txt'), plain);
    const stdin = openSync(at('loop.txt'), 'r');
    try {
      const r = spawnSync(process.execPath, [...CLI, 'encrypt', '--force', '--key-file', at('key'), '-', at('loop.txt')], {
        cwd: root,
        stdio: [stdin, 'pipe', 'pipe'],
      });
      expect(r.status).toBe(1);
      expect(r.stderr.toString()).toMatch(/is the input .*\(ERR_ARGUMENT\)\n$/);
    } finally {
      closeSync(stdin);
    }
    same(at('loop.txt'), plain);
  });

  it('the key file is never an output either', () => {
    const r = cli(['encrypt', '--key-file', at('key'), at('plain'), at('key')]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/is the input .*key.*\(ERR_ARGUMENT\)\n$/);
    same(at('key'), key);
  });
});

describe('interrupted runs', () => {
  // The ciphertext comes through stdin and stops half way, so the run is still going when the
  // signal arrives: plaintext is already in the temporary file at that moment.
  it.each([
    ['SIGTERM', 143],
    ['SIGINT', 130],
    ['SIGHUP', 129],
  ] as const)('%s: the temporary file is removed and the exit code is %i', async (signal, code) => {
    const big = encryptChunked(key, rng.bytes(4 * 1024 * 1024));
    const out = `interrupted-${signal}.out`;
    const run = startCli(['decrypt', '--key-file', at('key'), '-', at(out)]);
    run.child.stdin.write(big.subarray(0, big.length / 2));
    await waitFor(() => temporaries().some((name) => statSync(at(name)).size > 0), 'plaintext in the temporary file');
    run.child.kill(signal);
    const { status } = await run.exited;
    run.child.stdin.destroy();
    expect(status).toBe(code);
    expect(temporaries()).toEqual([]);
    expect(existsSync(at(out))).toBe(false);
  });

  it('decrypt to a closed pipe ends quietly (exit 141, nothing on stderr) and leaves no file', async () => {
    // 8 MiB of plaintext, far more than a pipe buffer holds.
    writeFileSync(at('big.cbl'), encryptChunked(key, rng.bytes(8 * 1024 * 1024)));
    const run = startCli(['decrypt', '--key-file', at('key'), at('big.cbl')]);
    await new Promise((resolve) => run.child.stdout.once('data', resolve));
    run.child.stdout.destroy();
    const { status } = await run.exited;
    expect(status).toBe(141);
    expect(run.stderr()).toBe('');
  });
});

describe('failures carry a code and the user path', () => {
  it('a missing input is ERR_NOT_FOUND; a directory as input is refused; a missing key file is ERR_NOT_FOUND', () => {
    const missing = cli(['decrypt', '--key-file', at('key'), at('nope.cbl'), at('nope.out')]);
    expect(missing.stderr).toMatch(/nope\.cbl.*\(ERR_NOT_FOUND\)\n$/);
    const folder = cli(['decrypt', '--key-file', at('key'), dir, at('dir.out')]);
    expect(folder.status).toBe(1);
    expect(folder.stderr).toMatch(/directory.*\(ERR_[A-Z]+\)\n$/);
    const noKey = cli(['encrypt', '--key-file', at('no.key'), at('plain'), at('nokey.out')]);
    expect(noKey.stderr).toMatch(/no\.key.*\(ERR_NOT_FOUND\)\n$/);
    expect(existsSync(at('nope.out')) || existsSync(at('dir.out')) || existsSync(at('nokey.out'))).toBe(false);
    expect(temporaries()).toEqual([]);
  });

  it('an output in a missing directory names that path, never a temporary file', () => {
    const r = cli(['encrypt', '--key-file', at('key'), at('plain'), at('no-such-dir/out.cbl')]);
    expect(r.stderr).toMatch(/no-such-dir\/out\.cbl.*\(ERR_NOT_FOUND\)\n$/);
    expect(r.stderr).not.toMatch(/\.tmp/);
  });

  it('a full device is ERR_IO with ENOSPC, naming the path given; the device stays a device', (ctx) => {
    if (!existsSync('/dev/full')) ctx.skip();
    // Through a link in the scratch directory: code that renames a temporary file over its
    // output (as the old code did) then replaces the link, never /dev/full itself.
    symlinkSync('/dev/full', at('full-device'));
    const r = cli(['encrypt', '--key-file', at('key'), at('plain'), at('full-device')]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^sectorcrypt: .*full-device.*ENOSPC.*\(ERR_IO\)\n$/);
    expect(statSync('/dev/full').isCharacterDevice()).toBe(true);
  });

  it('a read-only directory is ERR_IO with the OS code (skipped as root, who may write anyway)', (ctx) => {
    if (process.getuid?.() === 0) ctx.skip();
    mkdirSync(at('ro'), { mode: 0o500 });
    const r = cli(['encrypt', '--key-file', at('key'), at('plain'), at('ro/out.cbl')]);
    expect(r.stderr).toMatch(/ro\/out\.cbl.*EACCES.*\(ERR_IO\)\n$/);
  });

  it('usage errors (unknown option, bad value) are one line with ERR_ARGUMENT', () => {
    const r = cli(['encrypt', '--key-file', at('key'), '--frobnicate']);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^sectorcrypt: unknown option '--frobnicate' \(ERR_ARGUMENT\)\n$/);
  });
});

describe('encrypt to a terminal', () => {
  it('is refused, like keygen', async () => {
    const program = new Command().exitOverride();
    registerEncrypt(program);
    const stdout = process.stdout as { isTTY?: boolean };
    const was = stdout.isTTY;
    stdout.isTTY = true;
    try {
      await expect(program.parseAsync(['node', 'sectorcrypt', 'encrypt', '--key-file', at('key'), at('plain')])).rejects.toMatchObject({
        code: 'ERR_ARGUMENT',
      });
    } finally {
      stdout.isTTY = was;
    }
  });
});
