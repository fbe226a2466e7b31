/**
 * Waits that survive faults, with the CLI as a child process: a waiting `volume unlock`
 * outlives a broker restart in the middle of its wait (saying it asks again) and completes
 * after an approval given after the restart, with one request in the log; a second `volume
 * unlock` resumes the request the first left pending; an interrupted wait withdraws its request.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BrokerAgent } from '../../src/agent/index.js';
import { Broker } from '../../src/broker/index.js';
import { Volume } from '../../src/volume/index.js';
import { CHEAP_CREATE, MiB } from '../volume/helpers.js';
import { Client, makeTenant } from '../broker/helpers.js';
import { CLI } from '../entry.js';
import { cli, type Run } from './helpers.js';

let dir: string;
let dataDir: string;
let broker: Broker;
let port: number;
let url: string;
let ca: string;
let client: Client;
let t: Awaited<ReturnType<typeof makeTenant>>;
let stateDir: string;
let claimsFile: string;
let keyId: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sc-restart-'));
  dataDir = join(dir, 'data');
  const made = await Broker.create({ dataDir });
  broker = made.broker;
  url = await broker.listen({ host: '127.0.0.1', port: 0 });
  port = Number(new URL(url).port);
  ca = await readFile(made.caFile, 'utf8');
  client = new Client(url, ca);
  t = await makeTenant({ client, operatorToken: made.operatorToken });
  const call = async (method: string, path: string, body?: unknown) => {
    const a = await client.call(method, path, { token: t.admin, body });
    if (a.status >= 300) throw new Error(`${method} ${path}: ${a.status} ${JSON.stringify(a.body)}`);
    return a.body;
  };
  keyId = (await call('POST', '/v1/keys', { name: 'by-hand' })).keyId;
  await call('PUT', '/v1/policies/by-hand', {
    keys: [keyId],
    devices: { groups: ['boot'] },
    rules: { claim: 'device.id', exists: true },
    approval: { mode: 'manual', approvers: 1, ttlSeconds: 600 },
  });
  const { token } = await call('POST', '/v1/enrollment-tokens', { groups: ['boot'], uses: 1 });
  stateDir = join(dir, 'agent');
  (await BrokerAgent.enroll({ url, ca, token, stateDir, device: { name: 'boot-1' } })).close();
  claimsFile = join(dir, 'claims.json');
  await writeFile(claimsFile, JSON.stringify({ collectors: ['hostname'] }), { mode: 0o600 });
}, 180_000);
afterAll(async () => {
  client?.close();
  await broker?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function image(name: string): Promise<string> {
  const path = join(dir, name);
  const vol = await Volume.create(path, { size: MiB, passphrase: 'pw', ...CHEAP_CREATE });
  const pub = (await client.call('GET', `/v1/keys/${keyId}/public`, { token: t.admin })).body;
  await vol.bindBroker({ keyId, version: pub.version, publicKey: pub.publicKey });
  await vol.close();
  return path;
}

const resourceOf = async (path: string) => `luks2:${(await Volume.inspect(path)).uuid}`;

/** The pending requests an approver sees for this volume. */
async function pendingFor(resource: string): Promise<string[]> {
  const list = await client.call('GET', '/v1/requests?status=pending', { token: t.approver1 });
  return (list.body.requests as { requestId: string; resource: string }[]).filter((r) => r.resource === resource).map((r) => r.requestId);
}

async function waitFor<T>(what: () => Promise<T | undefined>, label: string): Promise<T> {
  for (let i = 0; i < 600; i++) {
    const v = await what();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${label}`);
}

/** The CLI as a child whose stderr can be watched while it runs. */
function running(args: string[]): { done: Promise<Run>; stderr: () => string; kill: (s: NodeJS.Signals) => void } {
  const child = spawn(process.execPath, [...CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const out: Buffer[] = [];
  let err = '';
  child.stdout.on('data', (c: Buffer) => out.push(c));
  child.stderr.on('data', (c: Buffer) => (err += c.toString('utf8')));
  const done = new Promise<Run>((resolve) =>
    child.on('close', (code) => resolve({ code: code ?? -1, stdout: Buffer.concat(out), stderr: err })),
  );
  return { done, stderr: () => err, kill: (s) => child.kill(s) };
}

describe('a waiting volume unlock', () => {
  it('survives a broker restart in the middle of its wait and completes after an approval given after it, with one request in the log', async () => {
    const path = await image('restart.img');
    const resource = await resourceOf(path);
    const run = running(['volume', 'unlock', path, '--agent', stateDir, '--claims', claimsFile, '--wait', '--timeout', '120']);
    const id = await waitFor(async () => (await pendingFor(resource))[0], 'the pending request');
    await waitFor(
      async () => (run.stderr().includes(`waiting for approval of release request ${id}`) ? true : undefined),
      'the waiting line',
    );

    // The broker goes away while the agent polls, and comes back on the same port.
    client.close();
    await broker.close();
    await waitFor(async () => (/asking again in/.test(run.stderr()) ? true : undefined), 'a retry');
    broker = await Broker.open({ dataDir });
    await broker.listen({ host: '127.0.0.1', port });
    client = new Client(url, ca);

    expect(await pendingFor(resource)).toEqual([id]);
    const vote = await client.call('POST', `/v1/requests/${id}/approve`, { token: t.approver1 });
    expect(vote.status, JSON.stringify(vote.body)).toBe(200);
    const r = await run.done;
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.toString()).toMatch(/^ok: the broker released the secret of key slot 1 of /);
    expect(r.stderr).toMatch(/cannot reach the broker .*; asking again in \d+\.\d s/);

    const records = (await client.call('GET', '/v1/audit?limit=1000', { token: t.auditor })).body.records as {
      action: string;
      requestId?: string;
      reasons?: { resource?: string };
    }[];
    const filed = records.filter((x) => x.action === 'request.pending' && x.reasons?.resource === resource);
    expect(filed.map((x) => x.requestId)).toEqual([id]);
    expect(records.filter((x) => x.action === 'key.release' && x.requestId === id)).toHaveLength(1);
  }, 180_000);

  it('a second unlock resumes the request the first left pending instead of filing another', async () => {
    const path = await image('resume.img');
    const resource = await resourceOf(path);
    const first = await cli(['volume', 'unlock', path, '--agent', stateDir, '--claims', claimsFile]);
    expect(first.code).toBe(1);
    const id = /release request (req_\S+) waits for approval/.exec(first.stderr)?.[1];
    expect(id, first.stderr).toBeDefined();
    const second = running(['volume', 'unlock', path, '--agent', stateDir, '--claims', claimsFile, '--wait', '--timeout', '120']);
    await waitFor(
      async () => (second.stderr().includes(`waiting for approval of the earlier release request ${id}`) ? true : undefined),
      'the resumed wait',
    );
    expect(await pendingFor(resource)).toEqual([id]);
    expect((await client.call('POST', `/v1/requests/${id}/approve`, { token: t.approver1 })).status).toBe(200);
    const r = await second.done;
    expect(r.code, r.stderr).toBe(0);
    // Settled: the state no longer holds it.
    await expect(readFile(join(stateDir, 'pending.json'), 'utf8')).rejects.toThrow();
  }, 180_000);

  it('interrupted (SIGTERM, as the token plugin or systemd stops it), it withdraws its request', async () => {
    const path = await image('interrupt.img');
    const resource = await resourceOf(path);
    const run = running(['volume', 'unlock', path, '--agent', stateDir, '--claims', claimsFile, '--wait', '--timeout', '120']);
    const id = await waitFor(async () => (await pendingFor(resource))[0], 'the pending request');
    await waitFor(async () => (run.stderr().includes('waiting for approval') ? true : undefined), 'the waiting line');
    run.kill('SIGTERM');
    const r = await run.done;
    expect(r.code).toBe(143);
    expect(r.stderr).toContain(`withdrew release request ${id}`);
    expect(await pendingFor(resource)).toEqual([]);
    const records = (await client.call('GET', '/v1/audit?limit=1000', { token: t.auditor })).body.records as {
      action: string;
      requestId?: string;
    }[];
    expect(records.filter((x) => x.action === 'request.withdraw' && x.requestId === id)).toHaveLength(1);
  }, 180_000);
});
