/**
 * keygen / encrypt / decrypt as a user runs them (a child process: the run's
 * build of the sources, see test/entry.ts): round trips through files and pipes, the
 * random-access reader on CLI output, and failures that leave no file behind.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { afterAll, describe, expect, it } from 'vitest';
import { decryptChunked, encryptChunked, openChunkedReader } from '../../src/index.js';
import { registerKeygen } from '../../src/cli/keygen.js';
import { toHex } from '../bytes.js';
import { Rng } from '../rng.js';
import { CLI } from '../entry.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const dir = mkdtempSync(path.join(tmpdir(), 'sectorcrypt-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const rng = new Rng();
const at = (name: string) => path.join(dir, name);

function cli(args: string[], input?: Uint8Array) {
  const result = spawnSync(process.execPath, [...CLI, ...args], {
    cwd: root,
    input,
    maxBuffer: 64 * 1024 * 1024,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr.toString() };
}

/** Files in the work directory, to see that nothing half-written stays. */
const listing = () => readdirSync(dir).sort();

describe('sectorcrypt keygen', () => {
  it('writes 16 random bytes by default and 32 with --bits 256', () => {
    const a = cli(['keygen']);
    const b = cli(['keygen', '--bits', '256']);
    expect([a.status, b.status]).toEqual([0, 0]);
    expect(a.stdout.length).toBe(16);
    expect(b.stdout.length).toBe(32);
    expect(toHex(a.stdout)).not.toBe(toHex(b.stdout.subarray(0, 16)));
    const bad = cli(['keygen', '--bits', '192']);
    expect(bad.status).not.toBe(0);
    expect(bad.stdout.length).toBe(0);
  });

  it('refuses to print a key on a terminal', async () => {
    const program = new Command().exitOverride();
    registerKeygen(program);
    const stdout = process.stdout as { isTTY?: boolean };
    const was = stdout.isTTY;
    stdout.isTTY = true;
    try {
      await expect(program.parseAsync(['node', 'sectorcrypt', 'keygen'])).rejects.toMatchObject({ code: 'ERR_ARGUMENT' });
    } finally {
      stdout.isTTY = was;
    }
  });
});

describe('sectorcrypt encrypt / decrypt', () => {
  const key = rng.bytes(32);
  const plain = rng.bytes(5 * 16384 + 1234);
  writeFileSync(at('key'), key);
  writeFileSync(at('plain'), plain);

  it('file to file: the output opens with decryptChunked, the random-access reader and sectorcrypt decrypt', async () => {
    const enc = cli(['encrypt', '--key-file', at('key'), '--context', 'host-1', at('plain'), at('plain.cbl')]);
    expect(enc.status, enc.stderr).toBe(0);
    const sealed = readFileSync(at('plain.cbl'));
    expect(sealed.length).toBe(56 + 5 * 16400 + 1234 + 16);
    expect(toHex(decryptChunked(key, sealed, { context: 'host-1' }))).toBe(toHex(plain));

    const reader = await openChunkedReader(key, at('plain.cbl'), { context: 'host-1' });
    expect(reader.size).toBe(plain.length);
    expect(toHex(await reader.read(40_000, 30_000))).toBe(toHex(plain.subarray(40_000, 70_000)));
    await reader.close();

    const dec = cli(['decrypt', '--key-file', at('key'), '--context', 'host-1', at('plain.cbl'), at('plain.out')]);
    expect(dec.status, dec.stderr).toBe(0);
    expect(toHex(readFileSync(at('plain.out')))).toBe(toHex(plain));
  });

  it('stdin to stdout both ways, and "-" for either end', () => {
    const enc = cli(['encrypt', '--key-file', at('key')], plain);
    expect(enc.status, enc.stderr).toBe(0);
    expect(toHex(decryptChunked(key, enc.stdout))).toBe(toHex(plain));
    const dec = cli(['decrypt', '--key-file', at('key'), '-', '-'], enc.stdout);
    expect(dec.status, dec.stderr).toBe(0);
    expect(toHex(dec.stdout)).toBe(toHex(plain));
  });

  it('a damaged file: exit 1, one line naming ERR_AUTH, no output file and no temporary file', () => {
    const sealed = new Uint8Array(encryptChunked(key, plain));
    sealed[56 + 16400 + 9] ^= 4;
    writeFileSync(at('damaged.cbl'), sealed);
    const before = listing();
    const dec = cli(['decrypt', '--key-file', at('key'), at('damaged.cbl'), at('damaged.out')]);
    expect(dec.status).toBe(1);
    expect(dec.stderr.trim().split('\n')).toHaveLength(1);
    expect(dec.stderr).toMatch(/^sectorcrypt: .*\(ERR_AUTH\)\n$/);
    expect(listing()).toEqual(before);
  });

  it('a failed run leaves an existing output file as it was, even with --force', () => {
    writeFileSync(at('keep.out'), 'old contents');
    const truncated = encryptChunked(key, plain).subarray(0, 56 + 2 * 16400);
    writeFileSync(at('truncated.cbl'), truncated);
    const dec = cli(['decrypt', '--force', '--key-file', at('key'), at('truncated.cbl'), at('keep.out')]);
    expect(dec.status).toBe(1);
    expect(dec.stderr).toContain('(ERR_TRUNCATED)');
    expect(readFileSync(at('keep.out'), 'utf8')).toBe('old contents');
    expect(listing().filter((name) => name.endsWith('.tmp'))).toEqual([]);
  });

  it('wrong context is ERR_AUTH; a key file of the wrong size is ERR_KEY_LENGTH', () => {
    const sealed = encryptChunked(key, plain, { context: 'a' });
    const wrong = cli(['decrypt', '--key-file', at('key'), '--context', 'b'], sealed);
    expect(wrong.status).toBe(1);
    expect(wrong.stderr).toContain('(ERR_AUTH)');
    expect(wrong.stdout.length).toBe(0);
    writeFileSync(at('short.key'), key.subarray(0, 20));
    const bad = cli(['encrypt', '--key-file', at('short.key'), at('plain'), at('never.cbl')]);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain('(ERR_KEY_LENGTH)');
    expect(existsSync(at('never.cbl'))).toBe(false);
    expect(bad.stderr).not.toContain(toHex(key.subarray(0, 20)));
  });
});
