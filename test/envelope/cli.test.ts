/**
 * The envelope commands as a user runs them (child processes, test/entry.ts):
 * keygen, encrypt to several recipients at once, decrypt with each alone (CLI, stream,
 * reader), rekey --remove, inspect, and the refusals (readable key files, mixed modes).
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { createEnvelopeDecryptStream, inspectEnvelope, openEnvelopeReader, type Identity } from '../../src/index.js';
import { randomPlain, throughStream } from './helpers.js';
import { CLI } from '../entry.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const dir = mkdtempSync(path.join(tmpdir(), 'sectorcrypt-envelope-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const at = (name: string) => path.join(dir, name);

function cli(args: string[], input?: Uint8Array) {
  const result = spawnSync(process.execPath, [...CLI, ...args], { cwd: root, input, maxBuffer: 64 * 1024 * 1024 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr.toString() };
}

const publicKeyOf = (file: string) => /# public key: (\S+)/.exec(readFileSync(file, 'utf8'))![1];
const secretKeyOf = (file: string) =>
  readFileSync(file, 'utf8')
    .split('\n')
    .find((l) => l.startsWith('SECTORCRYPT-'))!;

describe('sectorcrypt envelope commands', { timeout: 240_000 }, () => {
  const plain = randomPlain(300_000, 11);
  writeFileSync(at('snapshot'), plain);
  writeFileSync(at('pass'), 'the worst day\n', { mode: 0o600 });
  writeFileSync(at('kek'), randomPlain(32, 5), { mode: 0o600 });

  it('keygen writes identity files of mode 0600 and prints the public key; never over a file', () => {
    const x = cli(['keygen', '--x25519', '-o', at('server.key')]);
    const pq = cli(['keygen', '--pq', '-o', at('safe.key')]);
    expect([x.status, pq.status]).toEqual([0, 0]);
    expect(x.stdout.toString().trim()).toBe(publicKeyOf(at('server.key')));
    expect(x.stdout.toString()).toMatch(/^scx1/);
    expect(pq.stdout.toString()).toMatch(/^scpq1/);
    expect(statSync(at('server.key')).mode & 0o777).toBe(0o600);
    const again = cli(['keygen', '--x25519', '-o', at('server.key')]);
    expect(again.status).not.toBe(0);
    expect(again.stderr).toMatch(/ERR_EXISTS/);
    const kek = cli(['keygen', '--bits', '256', '-o', at('made.kek')]);
    expect(kek.status).toBe(0);
    expect(statSync(at('made.kek')).mode & 0o777).toBe(0o600);
    expect(readFileSync(at('made.kek')).length).toBe(32);
    const toStdout = cli(['keygen', '--x25519']);
    expect(toStdout.stdout.toString()).toMatch(/^# created/);
    expect(toStdout.stderr).toMatch(/public key: scx1/);
  });

  it('encrypt -r -r --passphrase-file --kek-file; each opens it alone: CLI, stream, reader', async () => {
    const r = cli([
      'encrypt',
      '-r',
      publicKeyOf(at('server.key')),
      '-r',
      publicKeyOf(at('safe.key')),
      '--passphrase-file',
      at('pass'),
      '--kek-file',
      at('kek'),
      '--kek-id',
      'hsm/1',
      at('snapshot'),
      '-o',
      at('snapshot.sce'),
    ]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const s = cli(['inspect', at('snapshot.sce')]);
    expect(s.stdout.toString()).toMatch(
      /^header \d+ bytes, payload 300\d+ bytes\n0 X25519 \S+\n1 mlkem768x25519 .*\n2 argon2id \S+ 65536 3 4\n3 aes256-kw hsm\/1\n$/,
    );
    const ways: [string[], Identity][] = [
      [['-i', at('server.key')], secretKeyOf(at('server.key'))],
      [['-i', at('safe.key')], secretKeyOf(at('safe.key'))],
      [['--passphrase-file', at('pass')], { passphrase: 'the worst day' }],
      [['--kek-file', at('kek')], { kek: randomPlain(32, 5) }],
    ];
    const env = new Uint8Array(readFileSync(at('snapshot.sce')));
    for (const [flags, identity] of ways) {
      const d = cli(['decrypt', ...flags, at('snapshot.sce')]);
      expect(d.stderr).toBe('');
      expect(Buffer.compare(d.stdout, plain)).toBe(0);
      const streamed = await throughStream(createEnvelopeDecryptStream({ identities: [identity] }), env);
      expect(Buffer.compare(streamed.output, plain)).toBe(0);
      const reader = await openEnvelopeReader(at('snapshot.sce'), { identities: [identity] });
      expect(Buffer.compare(await reader.read(123_456, 1000), plain.subarray(123_456, 124_456))).toBe(0);
      await reader.close();
    }
    // Through pipes too.
    const piped = cli(['encrypt', '-r', publicKeyOf(at('server.key'))], plain);
    expect(Buffer.compare(cli(['decrypt', '-i', at('server.key')], piped.stdout).stdout, plain)).toBe(0);
  });

  it('rekey --remove: the removed identity fails with ERR_NO_IDENTITY, the payload bytes are unchanged', async () => {
    const r = cli([
      'rekey',
      '--passphrase-file',
      at('pass'),
      '--remove',
      '0',
      '-r',
      publicKeyOf(at('safe.key')),
      at('snapshot.sce'),
      '-o',
      at('rekeyed.sce'),
    ]);
    expect(r.stderr).toBe('');
    const before = new Uint8Array(readFileSync(at('snapshot.sce')));
    const after = new Uint8Array(readFileSync(at('rekeyed.sce')));
    const payload = async (b: Uint8Array) => Buffer.from(b.subarray((await inspectEnvelope(b)).headerBytes));
    expect((await payload(after)).equals(await payload(before))).toBe(true);
    const d = cli(['decrypt', '-i', at('server.key'), at('rekeyed.sce')]);
    expect(d.status).not.toBe(0);
    expect(d.stderr).toMatch(/^sectorcrypt: .*ERR_NO_IDENTITY\)\n$/);
    expect(Buffer.compare(cli(['decrypt', '-i', at('safe.key'), at('rekeyed.sce')]).stdout, plain)).toBe(0);
    expect(cli(['inspect', '--json', at('rekeyed.sce')]).stdout.toString()).toMatch(/"type":"mlkem768x25519".*"type":"mlkem768x25519"/);
  });

  it('refuses key files others can read, mixed modes, and leaves no output on failure', () => {
    writeFileSync(at('open.key'), readFileSync(at('server.key')));
    chmodSync(at('open.key'), 0o644);
    const d = cli(['decrypt', '-i', at('open.key'), at('snapshot.sce'), '-o', at('nope')]);
    expect(d.stderr).toMatch(/can be read by group or others.*chmod 600.*ERR_ARGUMENT/);
    writeFileSync(at('open.pass'), 'x', { mode: 0o644 });
    chmodSync(at('open.pass'), 0o644);
    expect(cli(['encrypt', '--passphrase-file', at('open.pass'), at('snapshot')]).stderr).toMatch(/can be read by group or others/);
    expect(cli(['encrypt', '--key-file', at('kek'), '-r', publicKeyOf(at('server.key')), at('snapshot')]).stderr).toMatch(
      /do not mix.*ERR_ARGUMENT/,
    );
    expect(cli(['encrypt', '--kek-file', at('kek'), at('snapshot')]).stderr).toMatch(/--kek-id/);
    expect(cli(['encrypt', at('snapshot')]).stderr).toMatch(/--key-file.*ERR_ARGUMENT/);
    const bad = new Uint8Array(readFileSync(at('snapshot.sce')));
    bad[40] ^= 1;
    writeFileSync(at('bad.sce'), bad);
    const t = cli(['decrypt', '-i', at('server.key'), at('bad.sce'), '-o', at('bad.out')]);
    expect(t.stderr).toMatch(/ERR_(AUTH|CORRUPT_HEADER|NO_IDENTITY)/);
    expect(existsSync(at('bad.out'))).toBe(false);
    expect(existsSync(at('nope'))).toBe(false);
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('the raw --key-file Cobblestone mode still works beside it', () => {
    const key = randomPlain(16, 3);
    writeFileSync(at('raw.key'), key);
    const e = cli(['encrypt', '--key-file', at('raw.key')], plain);
    expect(Buffer.compare(cli(['decrypt', '--key-file', at('raw.key')], e.stdout).stdout, plain)).toBe(0);
  });
});
