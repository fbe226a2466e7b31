/**
 * Threshold groups on the command line (child processes, test/entry.ts): encrypt --threshold
 * with -r and a passphrase, inspect's group line, decrypt with any two and not one (one
 * ERR_THRESHOLD line, no output file), rekey --threshold to 3-of-3 keeping the payload bytes,
 * and the refusals (k above the members, a malformed -R broker:).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { inspectEnvelope } from '../../src/index.js';
import { randomPlain } from './helpers.js';
import { CLI } from '../entry.js';

const dir = mkdtempSync(path.join(tmpdir(), 'sectorcrypt-threshold-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const at = (name: string) => path.join(dir, name);

function cli(args: string[]) {
  const result = spawnSync(process.execPath, [...CLI, ...args], { maxBuffer: 16 * 1024 * 1024 });
  return { status: result.status, stdout: result.stdout.toString(), stderr: result.stderr.toString() };
}
const publicKeyOf = (file: string) => /# public key: (\S+)/.exec(readFileSync(file, 'utf8'))![1];

describe('sectorcrypt encrypt --threshold', { timeout: 240_000 }, () => {
  const plain = randomPlain(100_000, 27);
  writeFileSync(at('data'), plain);
  writeFileSync(at('pass'), 'group passphrase\n', { mode: 0o600 });

  it('2 of (two keys and a passphrase): any two open it, one does not', async () => {
    for (const name of ['a', 'b']) expect(cli(['keygen', '--x25519', '-o', at(`${name}.key`)]).status).toBe(0);
    const enc = cli([
      'encrypt',
      '--threshold',
      '2',
      '-r',
      publicKeyOf(at('a.key')),
      '-r',
      publicKeyOf(at('b.key')),
      '--passphrase-file',
      at('pass'),
      at('data'),
      '-o',
      at('data.sce'),
    ]);
    expect(enc.status, enc.stderr).toBe(0);
    const { groups } = await inspectEnvelope(at('data.sce'));
    expect(groups.map((g) => [g.k, g.n, g.members.map((m) => m.type)])).toEqual([[2, 3, ['X25519', 'X25519', 'argon2id']]]);
    const shown = cli(['inspect', at('data.sce')]);
    expect(shown.stdout).toContain(`threshold group ${groups[0].groupId}: any 2 of 3: share 1 = stanza 1 (X25519)`);

    for (const [i, ids] of [
      ['-i', at('a.key'), '-i', at('b.key')],
      ['-i', at('a.key'), '--passphrase-file', at('pass')],
      ['-i', at('b.key'), '--passphrase-file', at('pass')],
    ].entries()) {
      const out = at(`out${i}`);
      const dec = cli(['decrypt', ...ids, at('data.sce'), '-o', out]);
      expect(dec.status, dec.stderr).toBe(0);
      expect(Buffer.compare(readFileSync(out), plain)).toBe(0);
    }
    const one = cli(['decrypt', '-i', at('a.key'), at('data.sce'), '-o', at('never')]);
    expect(one.status).toBe(1);
    expect(one.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(one.stderr).toMatch(
      /^sectorcrypt: threshold group [0-9a-f]{32} needs 2 of 3 shares and got 1; share 2 \(X25519\): no identity given opens it; share 3 \(argon2id\): no identity given for it \(ERR_THRESHOLD\)\n$/,
    );
    expect(existsSync(at('never'))).toBe(false);
  });

  it('rekey --threshold 3 replaces the group; the payload bytes stay', async () => {
    expect(cli(['keygen', '--x25519', '-o', at('c.key')]).status).toBe(0);
    const before = await inspectEnvelope(at('data.sce'));
    const r = cli([
      'rekey',
      '-i',
      at('a.key'),
      '-i',
      at('b.key'),
      '--threshold',
      '3',
      '-r',
      publicKeyOf(at('a.key')),
      '-r',
      publicKeyOf(at('b.key')),
      '-r',
      publicKeyOf(at('c.key')),
      at('data.sce'),
      '-o',
      at('data3.sce'),
    ]);
    expect(r.status, r.stderr).toBe(0);
    const after = await inspectEnvelope(at('data3.sce'));
    expect(after.groups.map((g) => [g.k, g.n])).toEqual([[3, 3]]);
    const tail = (file: string, bytes: number) => readFileSync(file).subarray(-bytes);
    expect(Buffer.compare(tail(at('data3.sce'), after.payloadBytes), tail(at('data.sce'), before.payloadBytes))).toBe(0);
    expect(cli(['decrypt', '-i', at('a.key'), '-i', at('b.key'), at('data3.sce'), '-o', at('x')]).status).toBe(1);
    const all = cli(['decrypt', '-i', at('a.key'), '-i', at('b.key'), '-i', at('c.key'), at('data3.sce'), '-o', at('y')]);
    expect(all.status, all.stderr).toBe(0);
    expect(Buffer.compare(readFileSync(at('y')), plain)).toBe(0);
  });

  it('refuses k above the members and a malformed broker member before any output', () => {
    const high = cli([
      'encrypt',
      '--threshold',
      '3',
      '-r',
      publicKeyOf(at('a.key')),
      '-r',
      publicKeyOf(at('b.key')),
      at('data'),
      '-o',
      at('h'),
    ]);
    expect(high.status).toBe(1);
    expect(high.stderr).toMatch(/threshold k must be a whole number from 1 to the number of members \(2\) \(ERR_ARGUMENT\)/);
    const bad = cli(['encrypt', '--threshold', '1', '-R', 'broker:http://insecure/key', at('data'), '-o', at('h')]);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/broker:https:\/\/HOST\[:PORT\]\/KEYID \(ERR_ARGUMENT\)/);
    const zero = cli(['encrypt', '--threshold', '0', '-r', publicKeyOf(at('a.key')), at('data'), '-o', at('h')]);
    expect(zero.status).toBe(1);
    expect(zero.stderr).toMatch(/--threshold/);
    // A broker member without its CA is named as the user wrote it, not as --broker-key.
    const noCa = cli(['encrypt', '--threshold', '1', '-R', 'broker:https://127.0.0.1:9/key_x', at('data'), '-o', at('h')]);
    expect(noCa.status).toBe(1);
    expect(noCa.stderr).toMatch(
      /^sectorcrypt: -R broker:https:\/\/127\.0\.0\.1:9\/key_x needs --broker URL and --ca FILE .*\(ERR_ARGUMENT\)$/m,
    );
    expect(existsSync(at('h'))).toBe(false);
  });
});
