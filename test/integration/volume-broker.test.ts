/**
 * LUKS2 volumes bound to a broker key: bind adds a slot and a sectorcrypt-broker token in one
 * header write; unlock releases the secret through a policy (library and CLI); cryptsetup
 * sees the token and opens the slot with the released secret; unknown tokens are kept.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { BrokerAgent } from '../../src/agent/index.js';
import { Volume } from '../../src/volume/index.js';
import { readHeaders } from '../../src/volume/luks2-header.js';
import { ImageFile } from '../../src/volume/image-file.js';
import { describeWithTool } from '../tools.js';
import { CHEAP_CREATE, cryptsetup, cryptsetupMissing, MiB, rejectsWith } from '../volume/helpers.js';
import { cli, startFixture, type Fixture } from './helpers.js';

let f: Fixture;
let agent: BrokerAgent;

beforeAll(async () => {
  f = await startFixture();
  agent = await BrokerAgent.load({ stateDir: f.stateDir, claims: { collectors: ['selfHash'] } });
}, 180_000);
afterAll(async () => {
  agent?.close();
  await f?.h.stop();
  if (f) await rm(f.dir, { recursive: true, force: true });
});

async function newVolume(name: string): Promise<string> {
  const path = join(f.dir, name);
  const vol = await Volume.create(path, { size: MiB, passphrase: 'pw', ...CHEAP_CREATE });
  await vol.write(0, new TextEncoder().encode('hello from the volume'));
  await vol.close();
  return path;
}

async function metaOf(path: string): Promise<{ uuid: string; meta: any }> {
  const file = await ImageFile.open(path, { writable: false });
  try {
    const { current } = await readHeaders(file);
    return { uuid: current.uuid, meta: current.meta };
  } finally {
    await file.close();
  }
}

describe('Volume.bindBroker and Volume.open({ agent })', () => {
  it('binds a slot with its token, and opens through a releasing policy', async () => {
    const path = await newVolume('lib.img');
    const vol = await Volume.open(path, { passphrase: 'pw' });
    const slot = await vol.bindBroker(f.keys.here);
    await vol.close();
    const { meta } = await metaOf(path);
    expect(Object.values(meta.tokens)).toEqual([
      {
        type: 'sectorcrypt-broker',
        keyslots: [String(slot)],
        keyId: f.keys.here.keyId,
        version: 1,
        enc: expect.any(String),
        ciphertext: expect.any(String),
      },
    ]);
    expect(meta.digests['0'].keyslots).toContain(String(slot));
    expect((await Volume.inspect(path)).tokens).toEqual([
      { token: 0, type: 'sectorcrypt-broker', keyslots: [slot], keyId: f.keys.here.keyId, version: 1 },
    ]);

    const opened = await Volume.open(path, { agent });
    try {
      expect(opened.keyslot).toBe(slot);
      expect(new TextDecoder().decode(await opened.read(0, 21))).toBe('hello from the volume');
    } finally {
      await opened.close();
    }
    // The passphrase still opens it, and removing the bound slot takes its token along.
    const again = await Volume.open(path, { passphrase: 'pw' });
    const released = await Volume.releaseKey(path, { agent });
    await again.removePassphrase(released.secret);
    released.secret.fill(0);
    await again.close();
    expect((await metaOf(path)).meta.tokens).toEqual({});
  }, 60_000);

  it('a denying policy refuses with ERR_DENIED; a volume without a token is ERR_NO_IDENTITY', async () => {
    const path = await newVolume('denied.img');
    const vol = await Volume.open(path, { passphrase: 'pw' });
    await vol.bindBroker(f.keys.elsewhere);
    await vol.close();
    const err = (await rejectsWith(Volume.open(path, { agent }), 'ERR_DENIED')) as Error & { reasons: { claim: string }[] };
    expect(err.reasons[0]!.claim).toBe('integrity.selfHash');
    await rejectsWith(Volume.open(await newVolume('unbound.img'), { agent }), 'ERR_NO_IDENTITY');
    await rejectsWith(Volume.open(path, { agent, passphrase: 'pw' }), 'ERR_ARGUMENT');
  }, 60_000);

  it('a token moved to another volume does not open (its aad names the volume UUID)', async () => {
    const from = await newVolume('from.img');
    const to = await newVolume('to.img');
    const a = await Volume.open(from, { passphrase: 'pw' });
    await a.bindBroker(f.keys.here);
    await a.close();
    const b = await Volume.open(to, { passphrase: 'pw' });
    await b.bindBroker(f.keys.here);
    await b.close();
    // Rewrite to.img's token with from.img's sealed secret, through the header writer.
    const token = Object.values((await metaOf(from)).meta.tokens)[0] as Record<string, unknown>;
    const file = await ImageFile.open(to, { writable: true });
    try {
      const { current } = await readHeaders(file);
      const t = (current.meta.tokens as Record<string, Record<string, unknown>>)['0']!;
      Object.assign(t, { enc: token.enc, ciphertext: token.ciphertext });
      const { writeHeaders } = await import('../../src/volume/luks2-header.js');
      await writeHeaders(file, current);
    } finally {
      await file.close();
    }
    await rejectsWith(Volume.open(to, { agent }), 'ERR_AUTH');
  }, 120_000);
});

describe('sectorcrypt volume bind / unlock', () => {
  it('bind, then unlock (--claims) and unlock --print-key through the policy', async () => {
    const path = await newVolume('cli.img');
    const pwFile = join(f.dir, 'pw');
    await writeFile(pwFile, 'pw', { mode: 0o600 });
    const bind = await cli(
      ['volume', 'bind', path, '--broker-key', f.keys.here.keyId, '--url', f.h.url, '--ca', f.caFile, '--passphrase-file', pwFile],
      { env: { SECTORCRYPT_BROKER_TOKEN: f.adminToken } },
    );
    expect(bind.code, bind.stderr).toBe(0);
    expect(bind.stdout.toString()).toMatch(/^bound key slot 1 of .* to broker key key_\S+ version 1\n$/);

    const claimsFile = join(f.dir, 'claims.json');
    await writeFile(claimsFile, JSON.stringify({ collectors: ['selfHash'] }));
    const check = await cli(['volume', 'unlock', path, '--agent', f.stateDir, '--claims', claimsFile]);
    expect(check.code, check.stderr).toBe(0);
    expect(check.stdout.toString()).toContain('ok: the broker released the secret of key slot 1');

    const key = await cli(['volume', 'unlock', path, '--agent', f.stateDir, '--claims', claimsFile, '--print-key']);
    expect(key.code, key.stderr).toBe(0);
    expect(key.stdout.length).toBe(32);
    const opened = await Volume.open(path, { passphrase: new Uint8Array(key.stdout) });
    expect(opened.keyslot).toBe(1);
    await opened.close();
  }, 120_000);

  it('unlock of a volume whose policy denies: ERR_DENIED in one line, nothing on stdout', async () => {
    const path = await newVolume('cli-denied.img');
    const vol = await Volume.open(path, { passphrase: 'pw' });
    await vol.bindBroker(f.keys.elsewhere);
    await vol.close();
    const r = await cli(['volume', 'unlock', path, '--agent', f.stateDir, '--print-key']);
    expect(r.code).toBe(1);
    expect(r.stdout.length).toBe(0);
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/denied: policy other-build rule rules\.allOf\[0\]: integrity\.selfHash .*\(ERR_DENIED\)/);
  }, 120_000);
});

describe('several bindings, and volume unbind', () => {
  const bindCli = (path: string, keys: string[]) =>
    cli(
      [
        'volume',
        'bind',
        path,
        ...keys.flatMap((k) => ['--broker-key', k]),
        '--url',
        f.h.url,
        '--ca',
        f.caFile,
        '--passphrase-file',
        join(f.dir, 'pw'),
      ],
      { env: { SECTORCRYPT_BROKER_TOKEN: f.adminToken } },
    );
  beforeAll(() => writeFile(join(f.dir, 'pw'), 'pw', { mode: 0o600 }));

  it('bind takes several keys; unlock gets through the one whose policy allows, whichever comes first', async () => {
    const path = await newVolume('two-keys.img');
    const bind = await bindCli(path, [f.keys.elsewhere.keyId, f.keys.here.keyId]);
    expect(bind.code, bind.stderr).toBe(0);
    expect(bind.stdout.toString().trimEnd().split('\n')).toEqual([
      expect.stringMatching(new RegExp(`^bound key slot 1 of .* to broker key ${f.keys.elsewhere.keyId} version 1$`)),
      expect.stringMatching(new RegExp(`^bound key slot 2 of .* to broker key ${f.keys.here.keyId} version 1$`)),
    ]);
    expect((await Volume.inspect(path)).tokens.map((t) => [t.token, t.keyId, t.keyslots])).toEqual([
      [0, f.keys.elsewhere.keyId, [1]],
      [1, f.keys.here.keyId, [2]],
    ]);
    const { keyslot, secret } = await Volume.releaseKey(path, { agent });
    secret.fill(0);
    expect(keyslot).toBe(2);
    // --token 0 asks for the denied binding only.
    await rejectsWith(Volume.releaseKey(path, { agent, token: 0 }), 'ERR_DENIED');
  }, 120_000);

  it('unbind removes the token and its key slot, and asks which when there are several', async () => {
    const path = await newVolume('unbind.img');
    expect((await bindCli(path, [f.keys.elsewhere.keyId, f.keys.here.keyId])).code).toBe(0);
    const which = await cli(['volume', 'unbind', path]);
    expect(which.code).toBe(1);
    expect(which.stderr).toMatch(/has 2 sectorcrypt-broker tokens .*name one with --token or --broker-key \(ERR_ARGUMENT\)/);
    const r = await cli(['volume', 'unbind', path, '--broker-key', f.keys.elsewhere.keyId]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.toString()).toBe(`removed token 0 and key slot 1 of ${path}\n`);
    const info = await Volume.inspect(path);
    expect(info.tokens.map((t) => t.token)).toEqual([1]);
    expect(info.keyslots.map((k) => k.slot)).toEqual([0, 2]);
    // The passphrase and the remaining binding still open it.
    (await Volume.open(path, { passphrase: 'pw' })).close();
    const opened = await Volume.open(path, { agent });
    expect(opened.keyslot).toBe(2);
    await opened.close();
  }, 120_000);

  it('refuses to remove the last way in without --force', async () => {
    const path = await newVolume('last.img');
    expect((await bindCli(path, [f.keys.here.keyId])).code).toBe(0);
    const vol = await Volume.open(path, { agent });
    await vol.removePassphrase('pw');
    await vol.close();
    const refused = await cli(['volume', 'unbind', path]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/key slot 1 is the last way into the volume.*--force.*\(ERR_ARGUMENT\)/);
    expect((await Volume.inspect(path)).keyslots.map((k) => k.slot)).toEqual([1]);
    const forced = await cli(['volume', 'unbind', path, '--force']);
    expect(forced.code, forced.stderr).toBe(0);
    const info = await Volume.inspect(path);
    expect([info.keyslots, info.tokens]).toEqual([[], []]);
  }, 120_000);
});

describeWithTool('cryptsetup', cryptsetupMissing(), 'cryptsetup reads bound volumes', () => {
  it('luksDump shows the token; open --test-passphrase --key-file - takes the released secret; unknown tokens are kept', async () => {
    const path = await newVolume('cs.img');
    const vol = await Volume.open(path, { passphrase: 'pw' });
    const slot = await vol.bindBroker(f.keys.here);
    await vol.close();

    const dump = cryptsetup(['luksDump', path]);
    expect(dump.status, dump.out).toBe(0);
    expect(dump.out).toMatch(/Tokens:\s+0: sectorcrypt-broker\s+Keyslot:\s+1/);

    const { secret } = await Volume.releaseKey(path, { agent });
    const open = spawnSync(
      'cryptsetup',
      ['--batch-mode', 'open', '--test-passphrase', '--key-file', '-', '--key-slot', String(slot), path],
      { input: Buffer.from(secret) },
    );
    secret.fill(0);
    expect(open.status, open.stderr?.toString()).toBe(0);
    // The documented pipe: volume unlock --print-key | cryptsetup ... --key-file=-
    const printed = await cli(['volume', 'unlock', path, '--agent', f.stateDir, '--print-key']);
    expect(printed.code, printed.stderr).toBe(0);
    const piped = spawnSync('cryptsetup', ['--batch-mode', 'open', '--test-passphrase', '--key-file=-', path], { input: printed.stdout });
    expect(piped.status, piped.stderr?.toString()).toBe(0);

    // A token of a type sectorcrypt does not know (as Clevis writes) survives our header writes.
    const foreign = join(f.dir, 'foreign.json');
    await writeFile(foreign, JSON.stringify({ type: 'clevis', keyslots: ['0'], jwe: { ciphertext: 'x' } }));
    const imp = cryptsetup(['token', 'import', '--json-file', foreign, path]);
    expect(imp.status, imp.out).toBe(0);
    const again = await Volume.open(path, { agent });
    await again.addPassphrase('second', { pbkdf: { type: 'pbkdf2', iterations: 1000 } });
    await again.close();
    const after = cryptsetup(['luksDump', path]);
    expect(after.status, after.out).toBe(0);
    expect(after.out).toMatch(/clevis/);
    expect(after.out).toMatch(/sectorcrypt-broker/);
    expect(Object.values((await metaOf(path)).meta.tokens)).toContainEqual({ type: 'clevis', keyslots: ['0'], jwe: { ciphertext: 'x' } });
  }, 120_000);
});
