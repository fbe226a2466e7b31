/**
 * k-of-n release across independent brokers (issue 27), with real parts: three brokers, each
 * with its own data folder and its own PGlite store in it, its own tenant, keys, policies and
 * enrolled agent; the CLI and the library as the client. 2-of-3 opens with all up and with one
 * stopped, fails with one ERR_THRESHOLD naming each member with two stopped; one broker denying
 * and two releasing opens it; a share from another envelope is refused by the MAC; the escrow
 * key plus one broker opens it; each broker's audit log holds exactly its own release.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { BrokerAgent } from '../../src/agent/index.js';
import { collectClaims } from '../../src/agent/claims/index.js';
import { decryptEnvelope, encryptEnvelope, generateIdentity, inspectEnvelope } from '../../src/envelope/index.js';
import { encodeStanza, parseHeader } from '../../src/envelope/header.js';
import { makeTenant, startBroker, type Harness } from '../broker/helpers.js';
import { Volume } from '../../src/volume/index.js';
import { readHeaders } from '../../src/volume/luks2-header.js';
import { ImageFile } from '../../src/volume/image-file.js';
import { describeWithTool } from '../tools.js';
import { CHEAP_CREATE, cryptsetup, cryptsetupMissing, MiB } from '../volume/helpers.js';
import { spawnSync } from 'node:child_process';
import { cli } from './helpers.js';
import { buildPlugin, cryptsetupWithPlugin, pluginMissing, pluginSettings } from './token-plugin.js';

interface Member {
  name: string;
  h: Harness;
  caFile: string;
  admin: string;
  auditor: string;
  stateDir: string;
  /** `here` releases to this checkout's build; `elsewhere` denies it (another build's hash); `manual` waits for an approver. */
  keys: Record<'here' | 'elsewhere' | 'manual', { keyId: string; version: number; publicKey: string }>;
  stopped: boolean;
}

let dir: string;
let selfHash: string;
const members: Member[] = [];

async function startMember(name: string): Promise<Member> {
  // PGlite on disk, in the broker's own data folder: three stores, three folders.
  const h = await startBroker({ database: 'pglite:disk' });
  const caFile = join(dir, `${name}-ca.pem`);
  await writeFile(caFile, h.ca);
  const t = await makeTenant(h);
  const call = async (method: string, path: string, body?: unknown) => {
    const a = await h.client.call(method, path, { token: t.admin, body });
    if (a.status >= 300) throw new Error(`${name} ${method} ${path}: ${a.status} ${JSON.stringify(a.body)}`);
    return a.body;
  };
  const here = await call('POST', '/v1/keys', { name: 'here' });
  const elsewhere = await call('POST', '/v1/keys', { name: 'elsewhere' });
  const manual = await call('POST', '/v1/keys', { name: 'manual' });
  const pin = (policy: string, keyId: string, hash: string) =>
    call('PUT', `/v1/policies/${policy}`, {
      keys: [keyId],
      devices: { groups: ['thr'] },
      rules: { allOf: [{ claim: 'integrity.selfHash', equals: hash }] },
      approval: { mode: 'auto' },
    });
  await pin('this-build', here.keyId, selfHash);
  await pin('other-build', elsewhere.keyId, 'f'.repeat(64));
  await call('PUT', '/v1/policies/ask-first', {
    keys: [manual.keyId],
    devices: { groups: ['thr'] },
    rules: { allOf: [{ claim: 'integrity.selfHash', equals: selfHash }] },
    approval: { mode: 'manual', approvers: 1, ttlSeconds: 600 },
  });
  const { token } = await call('POST', '/v1/enrollment-tokens', { groups: ['thr'], uses: 1 });
  const stateDir = join(dir, `${name}-agent`);
  (await BrokerAgent.enroll({ url: h.url, ca: h.ca, token, stateDir, device: { name: `thr-${name}` } })).close();
  return { name, h, caFile, admin: t.admin, auditor: t.auditor, stateDir, keys: { here, elsewhere, manual }, stopped: false };
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

const agents = () => Promise.all(members.map((m) => BrokerAgent.load({ stateDir: m.stateDir, claims: 'auto' })));
const member = (m: Member, key: keyof Member['keys'] = 'here') => ({ broker: { ...m.keys[key], url: m.h.url } });

/** The broker's audit records (the release recorder batches: wait until they settle). */
async function audit(m: Member): Promise<{ action: string; target: string; reasons?: { resource?: string } }[]> {
  let last = -1;
  for (;;) {
    const a = await m.h.client.call('GET', '/v1/audit?limit=1000', { token: m.auditor });
    expect(a.status).toBe(200);
    const records = a.body.records as { action: string; target: string; reasons?: { resource?: string } }[];
    if (records.length === last) return records;
    last = records.length;
    await new Promise((r) => setTimeout(r, 300));
  }
}
const RELEASE_ACTIONS = new Set(['key.release', 'key.deny', 'request.pending']);
const releasesOf = async (m: Member) => (await audit(m)).filter((r) => RELEASE_ACTIONS.has(r.action));

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sc-thr-'));
  selfHash = String(((await collectClaims({ collectors: ['selfHash'] })).claims.integrity as { selfHash: string }).selfHash);
  for (const name of ['a', 'b', 'c']) members.push(await startMember(name));
}, 300_000);

afterAll(async () => {
  for (const m of members) {
    if (!m.stopped) await m.h.stop();
    else {
      m.h.client.close();
      await rm(m.h.dir, { recursive: true, force: true });
    }
  }
  if (dir) await rm(dir, { recursive: true, force: true });
}, 60_000);

let sealed: string;
let plain: Buffer;
let groupId: string;

describe('k-of-n release across three independent brokers', () => {
  it('encrypt --threshold 2 with -R broker:URL/KEY for each broker; inspect shows the group', async () => {
    plain = randomBytes(50_000);
    const input = join(dir, 'data.bin');
    await writeFile(input, plain);
    sealed = join(dir, 'data.sce');
    const args = ['encrypt', '--threshold', '2'];
    for (const m of members) args.push('-R', `broker:${m.h.url}/${m.keys.here.keyId}`, '--ca', m.caFile, '--broker-token', m.admin);
    const enc = await cli([...args, input, '-o', sealed]);
    expect(enc.code, enc.stderr).toBe(0);
    const { groups } = await inspectEnvelope(sealed);
    expect(groups).toHaveLength(1);
    expect(groups[0]).toMatchObject({ k: 2, n: 3 });
    expect(groups[0].members.map((x) => x.url)).toEqual(members.map((m) => m.h.url));
    groupId = groups[0].groupId;
    const shown = await cli(['inspect', sealed]);
    expect(shown.stdout.toString()).toContain(`threshold group ${groupId}: any 2 of 3`);
  }, 120_000);

  it('all up: decrypt with one agent per broker; each audit log holds exactly its own release', async () => {
    const out = join(dir, 'data.out');
    const args = ['decrypt', ...members.flatMap((m) => ['--agent', m.stateDir]), sealed, '-o', out];
    const dec = await cli(args);
    expect(dec.code, dec.stderr).toBe(0);
    expect(Buffer.compare(await readFile(out), plain)).toBe(0);
    const { resource } = await (await import('../../src/envelope/index.js')).envelopeBrokerSecrets(sealed);
    // Asked at once and done at two: the third may have answered too, but no broker saw another's key.
    let released = 0;
    for (const [i, m] of members.entries()) {
      const records = await releasesOf(m);
      expect(records.length).toBeLessThanOrEqual(1);
      for (const r of records) {
        expect(r.action).toBe('key.release');
        expect(r.target).toBe(`${m.keys.here.keyId}/1`);
        expect(r.reasons?.resource).toBe(`${resource}.share.2-of-3.${groupId}.${i + 1}`);
        released++;
      }
    }
    expect(released).toBeGreaterThanOrEqual(2);
  }, 120_000);

  it('one broker denying and two releasing: it opens; the denying broker logs its denial', async () => {
    const bytes = await encryptEnvelope(new TextEncoder().encode('two of three'), {
      threshold: { k: 2, recipients: [member(members[0], 'elsewhere'), member(members[1]), member(members[2])] },
    });
    const before = (await releasesOf(members[0])).length;
    const ids = await agents();
    try {
      expect(new TextDecoder().decode(await decryptEnvelope(bytes, { identities: ids }))).toBe('two of three');
    } finally {
      ids.forEach((a) => a.close());
    }
    const after = await releasesOf(members[0]);
    expect(after.slice(before).map((r) => r.action)).toEqual(['key.deny']);
  }, 120_000);

  it('two brokers denying: one ERR_THRESHOLD naming each denial with its trace', async () => {
    const bytes = await encryptEnvelope(new TextEncoder().encode('no'), {
      threshold: { k: 2, recipients: [member(members[0], 'elsewhere'), member(members[1], 'elsewhere'), member(members[2])] },
    });
    const ids = await agents();
    try {
      const err = await decryptEnvelope(bytes, { identities: ids }).catch((e) => e);
      expect(err.code).toBe('ERR_THRESHOLD');
      expect(err.message).toMatch(/needs 2 of 3 shares and got 1/);
      for (const m of members.slice(0, 2)) {
        expect(err.message).toContain(`(broker key ${m.keys.elsewhere.keyId}/1 at ${m.h.url}): denied: release request req_`);
      }
      expect(err.message).toMatch(/policy other-build rule rules\.allOf\[0\]: integrity\.selfHash expected/);
      expect(err.members.map((x: { reason: string }) => x.reason)).toEqual(['denied', 'denied']);
    } finally {
      ids.forEach((a) => a.close());
    }
  }, 120_000);

  it('unreachable, denied and waiting for approval: each named in the one error', async () => {
    const nowhere = { broker: { ...members[2].keys.here, url: 'https://127.0.0.1:1' } };
    const bytes = await encryptEnvelope(new TextEncoder().encode('no'), {
      threshold: { k: 2, recipients: [member(members[0], 'elsewhere'), member(members[1], 'manual'), nowhere] },
    });
    // An agent whose broker is an address nobody listens on: a copy of c's state with that URL.
    const stateDir = join(dir, 'nowhere-agent');
    await cp(members[2].stateDir, stateDir, { recursive: true });
    const device = JSON.parse(await readFile(join(stateDir, 'device.json'), 'utf8'));
    await writeFile(join(stateDir, 'device.json'), JSON.stringify({ ...device, url: 'https://127.0.0.1:1' }));
    const ids = [...(await agents()), await BrokerAgent.load({ stateDir, claims: 'auto' })];
    try {
      const err = await decryptEnvelope(bytes, { identities: ids }).catch((e) => e);
      expect(err.code).toBe('ERR_THRESHOLD');
      expect(err.members.map((x: { reason: string }) => x.reason)).toEqual(['denied', 'pending', 'unreachable']);
      expect(err.message).toContain(
        `(broker key ${members[0].keys.elsewhere.keyId}/1 at ${members[0].h.url}): denied: release request req_`,
      );
      expect(err.message).toContain(
        `(broker key ${members[1].keys.manual.keyId}/1 at ${members[1].h.url}): waiting for approval: release request req_`,
      );
      expect(err.message).toContain(`(broker key ${members[2].keys.here.keyId}/1 at https://127.0.0.1:1): unreachable: `);
    } finally {
      ids.forEach((a) => a.close());
    }
  }, 120_000);

  it('a share from another envelope, put in place of share 2, is refused by the header MAC', async () => {
    const recipients = members.map((m) => member(m));
    const one = await encryptEnvelope(new TextEncoder().encode('one'), { threshold: { k: 2, recipients } });
    const other = await encryptEnvelope(new TextEncoder().encode('other'), { threshold: { k: 2, recipients } });
    const h1 = parseHeader(one);
    const h2 = parseHeader(other);
    const g1 = h1.stanzas[0].args[0];
    // Broker b's share of the other envelope, relabelled as share 2 of this group.
    const foreign = h2.stanzas[2];
    const relabelled = encodeStanza('share', [g1, ...foreign.args.slice(1)], foreign.body);
    const text = Buffer.from(h1.bytes)
      .toString('latin1')
      .replace(Buffer.from(h1.stanzas[2].raw).toString('latin1'), Buffer.from(relabelled).toString('latin1'));
    const mixed = new Uint8Array(Buffer.concat([Buffer.from(text, 'latin1'), one.subarray(h1.bytes.length)]));
    const ids = await agents();
    try {
      // Only a and b asked: b releases the foreign share (its seal is valid), the key rebuilt is wrong.
      const err = await decryptEnvelope(mixed, { identities: [ids[0], ids[1]] }).catch((e) => e);
      expect(err.code).toBe('ERR_AUTH');
      expect(err.message).toMatch(/do not give the key the header MAC was made with/);
    } finally {
      ids.forEach((a) => a.close());
    }
  }, 120_000);

  it('the escrow key plus one broker opens it; the escrow alone does not', async () => {
    const escrow = await generateIdentity('x25519');
    const bytes = await encryptEnvelope(new TextEncoder().encode('break glass'), {
      threshold: { k: 2, recipients: [member(members[0]), member(members[1]), escrow.publicKey] },
    });
    const ids = await agents();
    try {
      expect(new TextDecoder().decode(await decryptEnvelope(bytes, { identities: [escrow.secretKey, ids[1]] }))).toBe('break glass');
      const err = await decryptEnvelope(bytes, { identities: [escrow.secretKey] }).catch((e) => e);
      expect(err.code).toBe('ERR_THRESHOLD');
    } finally {
      ids.forEach((a) => a.close());
    }
  }, 120_000);
});

let volume: string;

describeWithTool('cryptsetup', cryptsetupMissing(), 'LUKS2: one key slot opened by any 2 of the 3 brokers', () => {
  let slot: number;

  it('volume bind --threshold 2 with one --broker-key, --url, --ca, --token per broker; cryptsetup reads the header', async () => {
    volume = join(dir, 'vol.img');
    const vol = await Volume.create(volume, { size: MiB, passphrase: 'pw', ...CHEAP_CREATE });
    await vol.write(0, new TextEncoder().encode('hello from a threshold volume'));
    await vol.close();
    const pass = join(dir, 'vol.pass');
    await writeFile(pass, 'pw', { mode: 0o600 });
    const args = ['volume', 'bind', volume, '--threshold', '2', '--passphrase-file', pass];
    for (const m of members) args.push('--broker-key', m.keys.here.keyId, '--url', m.h.url, '--ca', m.caFile, '--token', m.admin);
    const bound = await cli(args);
    expect(bound.code, bound.stderr).toBe(0);
    slot = Number(/bound key slot (\d+) of .* to any 2 of broker keys/.exec(bound.stdout.toString())![1]);
    const dump = cryptsetup(['luksDump', volume]);
    expect(dump.status, dump.out).toBe(0);
    expect(dump.out).toMatch(new RegExp(`Tokens:\\s+0: sectorcrypt-threshold\\s+Keyslot:\\s+${slot}`));
    const { meta, uuid } = await metaOf(volume);
    const token = meta.tokens['0'];
    expect(token).toMatchObject({ type: 'sectorcrypt-threshold', keyslots: [String(slot)], k: 2 });
    expect(token.shares.map((x: { index: number; keyId: string; url: string }) => [x.index, x.keyId, x.url])).toEqual(
      members.map((m, i) => [i + 1, m.keys.here.keyId, m.h.url]),
    );
    expect(uuid).toMatch(/^[0-9a-f-]{36}$/);
  }, 120_000);

  it('volume unlock --agent x3 --print-key | cryptsetup open --test-passphrase --key-file=- opens the slot; each broker logs its share', async () => {
    const before = await Promise.all(members.map(async (m) => (await releasesOf(m)).length));
    const printed = await cli(['volume', 'unlock', volume, ...members.flatMap((m) => ['--agent', m.stateDir]), '--print-key']);
    expect(printed.code, printed.stderr).toBe(0);
    expect(printed.stdout.length).toBe(32);
    const piped = spawnSync(
      'cryptsetup',
      ['--batch-mode', 'open', '--test-passphrase', '--key-slot', String(slot), '--key-file=-', volume],
      {
        input: printed.stdout,
      },
    );
    expect(piped.status, piped.stderr?.toString()).toBe(0);
    const { meta, uuid } = await metaOf(volume);
    const group = meta.tokens['0'].group;
    let released = 0;
    for (const [i, m] of members.entries()) {
      const records = (await releasesOf(m)).slice(before[i]);
      expect(records.length).toBeLessThanOrEqual(1);
      for (const r of records) {
        expect(r.action).toBe('key.release');
        expect(r.reasons?.resource).toBe(`luks2:${uuid}.share.2-of-3.${group}.${i + 1}`);
        released++;
      }
    }
    expect(released).toBeGreaterThanOrEqual(2);
  }, 120_000);

  it('Volume.open with the agents reads the data; a share moved to another place does not open', async () => {
    const ids = await agents();
    try {
      const vol = await Volume.open(volume, { agent: ids, readOnly: true });
      expect(new TextDecoder().decode(await vol.read(0, 29))).toBe('hello from a threshold volume');
      await vol.close();
      // Swap shares 1 and 2 in a copy: each is bound to its index, so its broker cannot open it at the other.
      const copy = join(dir, 'swapped.img');
      await cp(volume, copy);
      const { meta } = await metaOf(copy);
      const t = meta.tokens['0'];
      const [s1, s2] = t.shares;
      const swapped = { ...t, shares: [{ ...s1, index: 2 }, { ...s2, index: 1 }, t.shares[2]] };
      const json = join(dir, 'swapped.json');
      await writeFile(json, JSON.stringify(swapped));
      const imp = cryptsetup(['token', 'import', '--token-id', '0', '--token-replace', '--json-file', json, copy]);
      expect(imp.status, imp.out).toBe(0);
      // Only a and b asked: both refuse (the aad names another place), so one error names them.
      const err = await Volume.releaseKey(copy, { agent: [ids[0], ids[1]] }).catch((e) => e);
      expect(err.code).toBe('ERR_THRESHOLD');
      expect(err.members.map((x: { reason: string }) => x.reason)).toEqual(['failed', 'failed', 'no-identity']);
    } finally {
      ids.forEach((a) => a.close());
    }
  }, 120_000);
});

describeWithTool('cryptsetup-token', pluginMissing(), 'LUKS2 threshold: cryptsetup opens the slot through the token plugin', () => {
  it('luksDump shows the group; open --test-passphrase --token-only runs the agents of all three brokers', async () => {
    expect(volume).toBeDefined();
    const pluginDir = join(dir, 'plugin');
    await mkdir(pluginDir);
    // SECTORCRYPT_TOKEN_PLUGIN_FLAGS: the sanitizer run's compiler flags (scripts/test-token-plugin-asan.sh).
    const flags = process.env.SECTORCRYPT_TOKEN_PLUGIN_FLAGS;
    expect(buildPlugin(pluginDir, flags ? flags.split(' ') : [])).toMatch(/sectorcrypt-broker\.so$/);
    const claimsFile = join(dir, 'claims.json');
    await writeFile(claimsFile, JSON.stringify({ collectors: ['selfHash'] }), { mode: 0o600 });
    const config = join(dir, 'plugin-agent.json');
    const [first, ...more] = members.map((m) => m.stateDir);
    await writeFile(config, JSON.stringify(pluginSettings(first, { stateDirs: more, claims: claimsFile })), { mode: 0o600 });
    const dump = await cryptsetupWithPlugin(pluginDir, config, ['luksDump', volume]);
    expect(dump.status, dump.stderr).toBe(0);
    expect(dump.stdout.toString()).toMatch(/0: sectorcrypt-threshold\n/);
    expect(dump.stdout.toString()).toContain('Threshold:  any 2 of 3 brokers');
    const r = await cryptsetupWithPlugin(pluginDir, config, ['-v', 'open', '--test-passphrase', '--token-only', volume]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.toString()).toMatch(/Key slot \d+ unlocked/i);
  }, 180_000);
});

describe('brokers stopped', () => {
  it('one broker stopped: 2-of-3 still decrypts', async () => {
    await members[2].h.broker.close();
    members[2].stopped = true;
    const out = join(dir, 'data.out2');
    const dec = await cli(['decrypt', ...members.flatMap((m) => ['--agent', m.stateDir]), sealed, '-o', out]);
    expect(dec.code, dec.stderr).toBe(0);
    expect(Buffer.compare(await readFile(out), plain)).toBe(0);
    if (volume && !cryptsetupMissing()) {
      const unlocked = await cli(['volume', 'unlock', volume, ...members.flatMap((m) => ['--agent', m.stateDir])]);
      expect(unlocked.code, unlocked.stderr).toBe(0);
      expect(unlocked.stdout.toString()).toMatch(/^ok: the broker released the secret of key slot \d+/);
    }
  }, 120_000);

  it('two brokers stopped: one error line naming each member and why, no output', async () => {
    await members[1].h.broker.close();
    members[1].stopped = true;
    const out = join(dir, 'data.out3');
    const dec = await cli(['decrypt', ...members.flatMap((m) => ['--agent', m.stateDir]), sealed, '-o', out]);
    expect(dec.code).toBe(1);
    const lines = dec.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(`threshold group ${groupId} needs 2 of 3 shares and got 1`);
    expect(lines[0]).toContain(`share 2 (broker key ${members[1].keys.here.keyId}/1 at ${members[1].h.url}): unreachable`);
    expect(lines[0]).toContain(`share 3 (broker key ${members[2].keys.here.keyId}/1 at ${members[2].h.url}): unreachable`);
    expect(lines[0]).toMatch(/\(ERR_THRESHOLD\)$/);
    expect(existsSync(out)).toBe(false);
    if (volume && !cryptsetupMissing()) {
      const refused = await cli(['volume', 'unlock', volume, ...members.flatMap((m) => ['--agent', m.stateDir])]);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toMatch(
        /threshold token 0 \(group [0-9a-f]{32}\) needs 2 of 3 shares and got 1; .*unreachable.*\(ERR_THRESHOLD\)/,
      );
    }
  }, 120_000);
});
