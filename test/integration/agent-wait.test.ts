/**
 * `decrypt --agent DIR` and `volume unlock IMAGE --agent DIR` under a manual-approval policy,
 * as child processes: without --wait a pending release exits with ERR_PENDING and the request
 * id; with --wait the CLI says on stderr that it waits (with the id), and goes on once a
 * second person approves, or fails with ERR_DENIED when one denies. And `agent enroll --group`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { encryptEnvelope } from '../../src/envelope/index.js';
import { Volume } from '../../src/volume/index.js';
import { CHEAP_CREATE, MiB } from '../volume/helpers.js';
import { cli, startFixture, type Fixture } from './helpers.js';

let f: Fixture;
let manual: { keyId: string; version: number; publicKey: string };
let claimsFile: string;

beforeAll(async () => {
  f = await startFixture();
  const admin = async (method: string, path: string, body?: unknown) => {
    const a = await f.h.client.call(method, path, { token: f.adminToken, body });
    if (a.status >= 300) throw new Error(`${method} ${path}: ${a.status} ${JSON.stringify(a.body)}`);
    return a.body;
  };
  manual = await admin('POST', '/v1/keys', { name: 'manual' });
  await admin('PUT', '/v1/policies/by-hand', {
    keys: [manual.keyId],
    devices: { groups: ['integ'] },
    rules: { claim: 'device.id', exists: true },
    approval: { mode: 'manual', approvers: 1, ttlSeconds: 600 },
  });
  claimsFile = join(f.dir, 'claims.json');
  await writeFile(claimsFile, JSON.stringify({ collectors: ['hostname'] }), { mode: 0o600 });
}, 180_000);
afterAll(async () => {
  await f?.h.stop();
  if (f) await rm(f.dir, { recursive: true, force: true });
});

const seen = new Set<string>();

/** The next pending request for the manual key, as an approver sees it. */
async function nextPending(): Promise<string> {
  for (let i = 0; i < 600; i++) {
    const list = await f.h.client.call('GET', '/v1/requests?status=pending', { token: f.approverToken });
    const id = list.body.requests.find((r: { requestId: string; keyId: string }) => r.keyId === manual.keyId && !seen.has(r.requestId))
      ?.requestId as string | undefined;
    if (id) {
      seen.add(id);
      return id;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('no pending request showed up');
}

async function vote(id: string, how: 'approve' | 'deny'): Promise<void> {
  const r = await f.h.client.call('POST', `/v1/requests/${id}/${how}`, { token: f.approverToken });
  expect(r.status, JSON.stringify(r.body)).toBe(200);
}

describe('decrypt --agent with a manual-approval policy', () => {
  let sealed: string;
  let leftPending: string;
  const plain = randomBytes(10_000);
  beforeAll(async () => {
    sealed = join(f.dir, 'manual.sce');
    await writeFile(sealed, await encryptEnvelope(plain, { recipients: [{ broker: manual }] }));
  });

  it('without --wait: ERR_PENDING with the request id, and no output file', async () => {
    const out = join(f.dir, 'pending.out');
    const r = await cli(['decrypt', '--agent', f.stateDir, '--claims', claimsFile, sealed, '-o', out]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/release request req_\S+ waits for approval until \S+ \(ERR_PENDING\)/);
    const id = /req_\S+/.exec(r.stderr)![0];
    expect(await nextPending()).toBe(id);
    leftPending = id;
    expect(existsSync(out)).toBe(false);
  }, 120_000);

  it('--wait: resumes the request left pending, says it waits, with the request id, and decrypts once a second person approves', async () => {
    const out = join(f.dir, 'approved.out');
    const run = cli(['decrypt', '--agent', f.stateDir, '--claims', claimsFile, '--wait', '--timeout', '120', sealed, '-o', out]);
    const id = leftPending;
    await new Promise((r) => setTimeout(r, 1500));
    await vote(id, 'approve');
    const r = await run;
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(`waiting for approval of the earlier release request ${id}`);
    expect(Buffer.compare(await readFile(out), plain)).toBe(0);
  }, 120_000);

  it('--wait: a deny ends it with ERR_DENIED and the reason', async () => {
    const out = join(f.dir, 'denied.out');
    const run = cli(['decrypt', '--agent', f.stateDir, '--claims', claimsFile, '--wait', sealed, '-o', out]);
    await vote(await nextPending(), 'deny');
    const r = await run;
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/was denied: .*approval.* \(ERR_DENIED\)\n$/);
    expect(existsSync(out)).toBe(false);
  }, 120_000);

  it('--timeout without --wait, or not a number of seconds, is ERR_ARGUMENT', async () => {
    const [a, b] = await Promise.all([
      cli(['decrypt', '--agent', f.stateDir, '--timeout', '5', sealed, '-o', join(f.dir, 'x.out')]),
      cli(['decrypt', '--agent', f.stateDir, '--wait', '--timeout', 'soon', sealed, '-o', join(f.dir, 'x.out')]),
    ]);
    expect(a.stderr).toContain('--timeout goes with --wait');
    expect(b.stderr).toContain('ERR_ARGUMENT');
    expect([a.code, b.code]).toEqual([1, 1]);
  }, 60_000);
});

describe('agent enroll --group', () => {
  it('enrolls when the token grants the group; fails with ERR_FORBIDDEN, enrolling nothing, when it does not', async () => {
    const e = await f.h.client.call('POST', '/v1/enrollment-tokens', { token: f.adminToken, body: { groups: ['integ'], uses: 1 } });
    const enroll = (group: string, state: string) =>
      cli([
        'agent',
        'enroll',
        '--url',
        f.h.url,
        '--ca',
        f.caFile,
        '--token',
        e.body.token,
        '--state',
        join(f.dir, state),
        '--group',
        group,
        '--json',
      ]);
    const wrong = await enroll('prod-db', 'wrong-group');
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(/does not grant the group prod-db \(it grants integ\) \(ERR_FORBIDDEN\)/);
    expect(existsSync(join(f.dir, 'wrong-group'))).toBe(false);
    const right = await enroll('integ', 'right-group');
    expect(right.code, right.stderr).toBe(0);
    expect(JSON.parse(right.stdout.toString()).groups).toEqual(['integ']);
  }, 120_000);

  it('into a folder that already holds an agent: ERR_EXISTS, and the token is not spent', async () => {
    const e = await f.h.client.call('POST', '/v1/enrollment-tokens', { token: f.adminToken, body: { groups: ['integ'], uses: 1 } });
    const enroll = (state: string) =>
      cli(['agent', 'enroll', '--url', f.h.url, '--ca', f.caFile, '--token', e.body.token, '--state', state, '--json']);
    const used = await enroll(f.stateDir);
    expect(used.code).toBe(1);
    expect(used.stderr).toMatch(/already holds an enrolled agent .*the enrollment token was not used \(ERR_EXISTS\)/);
    const fresh = await enroll(join(f.dir, 'after-used'));
    expect(fresh.code, fresh.stderr).toBe(0);
  }, 120_000);
});

describe('volume unlock --agent with a manual-approval policy', () => {
  let image: string;
  beforeAll(async () => {
    image = join(f.dir, 'manual.img');
    const vol = await Volume.create(image, { size: MiB, passphrase: 'pw', ...CHEAP_CREATE });
    await vol.bindBroker(manual);
    await vol.close();
  }, 60_000);

  it('--wait: unlocks once a second person approves', async () => {
    const run = cli(['volume', 'unlock', image, '--agent', f.stateDir, '--claims', claimsFile, '--wait', '--timeout', '120']);
    const id = await nextPending();
    await vote(id, 'approve');
    const r = await run;
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(`waiting for approval of release request ${id}`);
    expect(r.stdout.toString()).toMatch(/^ok: the broker released the secret of key slot \d+ of /);
  }, 120_000);
});
