/**
 * The broker on a real PostgreSQL server started by the test (initdb + pg_ctl in a temp
 * folder): the same suites as on PGlite, then two brokers sharing the database, as behind a
 * load balancer (this process and a `broker serve` process): a nonce used at one is a replay at the other, and both append to one audit
 * sequence without gaps or duplicates.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { BrokerAgent } from '../../src/agent/index.js';
import { PinnedHttps } from '../../src/agent/https.js';
import { signRequest } from '../../src/http-signature/index.js';
import { verifyExport } from '../../src/audit/index.js';
import { Broker } from '../../src/broker/index.js';
import pgClient from 'pg';
import { Client, makeTenant, startBroker, type Clock, type Harness } from './helpers.js';
import { startPostgres, type PostgresServer } from './postgres-server.js';
import { describeWithTool } from '../tools.js';
import { CLI } from '../entry.js';
import { accountsAndKeysSuite } from './suites/accounts-keys.js';
import { releaseSuite } from './suites/release.js';
import { agentUndoSuite } from './suites/agent-undo.js';
import { fuzzSuite } from './suites/fuzz.js';
import { inputSuite } from './suites/input.js';
import { cliSuite } from './suites/cli.js';
import { crashSuite } from './suites/crash.js';
import { auditLogSuite } from './suites/audit-log.js';
import { tenancyRolesSuite } from './suites/tenancy-roles.js';
import { separationSuite } from './suites/separation.js';
import { certificateSuite } from './suites/certificates.js';
import { rootKeySuite } from './suites/root-key.js';
import { auditExportSuite } from './suites/audit-export.js';
import { checkpointSuite, gaps, sizesOf, TEST_CHECKPOINTS } from './suites/checkpoints.js';
import { exportLog } from './suites/audit-log.js';
import { keyEraseSuite } from './suites/key-erase.js';
import { dataModesSuite } from './suites/data-modes.js';
import { jwksNetworkSuite } from './suites/jwks-network.js';
import { deviceKeysSuite } from './suites/device-keys.js';
import { tpmSuite } from './suites/tpm.js';
import { oidcSuite } from './suites/oidc.js';
import { xksSuite } from './suites/xks.js';
import { xksMtlsSuite } from './suites/xks-mtls.js';

const pg = await startPostgres();
const skipReason = pg.server ? undefined : pg.reason;
const clock: Clock = { offsetMs: 0 };
let server: PostgresServer;
let h: Harness;
let suitesDb: string;

/** Runs `fn` on a connection to one of the server's databases. */
async function onServer<T>(name: string, fn: (db: pgClient.Client) => Promise<T>): Promise<T> {
  const db = new pgClient.Client({ connectionString: suitesDb.replace(/\/suites$/, `/${name}`) });
  await db.connect();
  try {
    return await fn(db);
  } finally {
    await db.end();
  }
}

describeWithTool('postgres', skipReason, 'PostgreSQL', () => {
  beforeAll(async () => {
    server = pg.server!;
    suitesDb = await server.createDatabase('suites');
    h = await startBroker({ clock, database: suitesDb, checkpoints: TEST_CHECKPOINTS });
  }, 120_000);
  afterAll(async () => {
    await h?.stop();
    await server?.stop();
  });

  accountsAndKeysSuite(() => h, 'postgres');
  releaseSuite(() => h, clock);
  agentUndoSuite(() => h);
  fuzzSuite(() => h);
  inputSuite(() => h);
  auditLogSuite(() => h, clock, { cli: false });
  tenancyRolesSuite(() => h);
  separationSuite(() => h);
  checkpointSuite(() => h);
  auditExportSuite(() => h);
  let rootKeyDbs = 0;
  rootKeySuite(() => server.createDatabase(`rootkey${++rootKeyDbs}`), { shared: true });
  certificateSuite(() => server.createDatabase('certificates'), { child: true });
  cliSuite(() => server.createDatabase('cli'));
  crashSuite(() => server.createDatabase('crash'));
  jwksNetworkSuite(() => h);
  deviceKeysSuite(() => h);
  tpmSuite(() => h);
  let oidcDbs = 0;
  oidcSuite(() => h, { database: () => server.createDatabase(`oidc${++oidcDbs}`) });
  // The kill switch seen by a second broker on the same database (its own process state).
  xksSuite(() => h, {
    second: async (first) => {
      const b = await Broker.open({ dataDir: join(first.dir, 'data'), database: suitesDb });
      return { url: await b.listen({ host: '127.0.0.1', port: 0 }), close: () => b.close() };
    },
  });
  xksMtlsSuite(() => h);
  keyEraseSuite({
    start: async () => startBroker({ database: await server.createDatabase('erase') }),
    files: () => server.dataDir,
    async sealedSecrets(e, keyId) {
      const rows = await onServer('erase', (db) =>
        db.query('SELECT sealed_secret FROM key_versions WHERE key_id = $1 ORDER BY version', [keyId]),
      );
      return rows.rows.map((r: { sealed_secret: Buffer | null }) => (r.sealed_secret ? new Uint8Array(r.sealed_secret) : null));
    },
    // Dirty pages reach the files; the test's role is a superuser.
    flush: async () => void (await onServer('postgres', (db) => db.query('CHECKPOINT'))),
  });
  // With a password in the URL (trust authentication ignores it): broker.json must be private.
  let modes = 0;
  dataModesSuite(async () =>
    (await server.createDatabase(`modes${++modes}`)).replace('postgres://broker@', 'postgres://broker:not-a-real-password@'),
  );

  it('puts records from before the Merkle log into the tree when the broker starts', async () => {
    const t = await makeTenant(h);
    for (let i = 0; i < 4; i++) await h.client.call('POST', '/v1/keys', { token: t.admin, body: { name: `legacy-${i}` } });
    const before = (await h.client.call('GET', '/v1/audit?limit=1000', { token: t.auditor })).body.lines as string[];
    // As a database from before migration 3 holds them: no hashed form, no tree.
    const db = new pgClient.Client({ connectionString: suitesDb });
    await db.connect();
    try {
      await db.query('UPDATE audit_log SET record_json = NULL, leaf_hash = NULL WHERE tenant_id = $1', [t.tenantId]);
      await db.query('DELETE FROM audit_nodes WHERE tenant_id = $1', [t.tenantId]);
    } finally {
      await db.end();
    }
    expect((await h.client.call('GET', '/v1/audit?limit=1000', { token: t.auditor })).body.error.code).toBe('ERR_AUDIT_TAMPERED');
    const reopened = await Broker.open({ dataDir: join(h.dir, 'data'), database: suitesDb });
    await reopened.close();
    const after = await h.client.call('GET', '/v1/audit?limit=1000', { token: t.auditor });
    expect(after.body.lines).toEqual(before);
    expect((await h.client.call('POST', '/v1/keys', { token: t.admin, body: { name: 'after-upgrade' } })).status).toBe(201);
    const cp = (await h.client.call('GET', '/v1/audit/checkpoint', { token: t.auditor })).body;
    const lines = (await h.client.call('GET', '/v1/audit?limit=1000', { token: t.auditor })).body.lines;
    expect(await verifyExport(lines, cp.checkpoint, cp.verifierKey)).toMatchObject({ size: before.length + 1 });
  });

  it('signs a quiet log on the T-second timer; keeps records for the configured retention', async () => {
    const quiet = await startBroker({
      database: await server.createDatabase('quiet'),
      checkpoints: { everyRecords: 1000, everySeconds: 1 },
      auditRetentionDays: 30,
    });
    try {
      const t = await makeTenant(quiet);
      const size = (await exportLog(quiet, t.auditor)).records.length;
      expect(await sizesOf(quiet, t.tenantId)).toEqual([]);
      // Far fewer than N records: only the timer signs them, once the oldest is T old.
      let sizes: number[] = [];
      for (let i = 0; i < 100 && sizes.at(-1) !== size; i++) {
        await new Promise((r) => setTimeout(r, 200));
        sizes = await sizesOf(quiet, t.tenantId);
      }
      expect(sizes).toEqual([size]);

      // Retention of 30 days: the segment's default cutoff, and nothing younger archived.
      const segment = await quiet.client.call('GET', '/v1/audit/segment', { token: t.auditor });
      expect(segment.body).toMatchObject({ retentionDays: 30, start: 0, end: 0, lines: [] });
      expect(Math.abs(new Date(segment.body.before).getTime() - (Date.now() - 30 * 86_400_000))).toBeLessThan(600_000);
      const young = await quiet.client.call('GET', `/v1/audit/segment?before=${new Date().toISOString()}`, { token: t.auditor });
      expect(young.body.error).toMatchObject({ code: 'ERR_FORBIDDEN', message: expect.stringContaining('30 days') });
    } finally {
      await quiet.stop();
    }
  }, 60_000);

  it('refuses an expired token', async () => {
    const t = await makeTenant(h);
    const tok = await h.client.call('POST', '/v1/tokens', { token: t.auditor, body: { expiresInSeconds: 600 } });
    expect((await h.client.call('GET', '/v1/audit?limit=1', { token: tok.body.token })).status).toBe(200);
    const db = new pgClient.Client({ connectionString: suitesDb });
    await db.connect();
    try {
      // The clock moved past expiresAt (the broker compares with the database's clock).
      await db.query("UPDATE api_tokens SET expires_at = now() - interval '1 second' WHERE id = $1", [tok.body.tokenId]);
    } finally {
      await db.end();
    }
    expect((await h.client.call('GET', '/v1/audit?limit=1', { token: tok.body.token })).body.error.code).toBe('ERR_UNAUTHENTICATED');
    expect((await h.client.call('GET', '/v1/audit?limit=1', { token: t.auditor })).status).toBe(200);
  });

  describe('two brokers on one database', () => {
    let a: Harness;
    let b: ChildProcess;
    let bUrl: string;
    let bClient: Client;
    beforeAll(async () => {
      a = await startBroker({ database: await server.createDatabase('pair'), checkpoints: { everyRecords: 4 } });
      // The second broker is another process: the same data folder (root key, certificate),
      // its own connections to the same database.
      b = spawn(
        process.execPath,
        [...CLI, 'broker', 'serve', '--data', join(a.dir, 'data'), '--listen', '127.0.0.1:0', '--checkpoint-records', '4', '--json'],
        {
          stdio: ['ignore', 'pipe', 'inherit'],
        },
      );
      bUrl = JSON.parse(
        await new Promise<string>((resolve, reject) => {
          createInterface({ input: b.stdout! }).once('line', resolve);
          b.once('exit', (code) => reject(new Error(`second broker exited ${code}`)));
        }),
      ).url;
      bClient = new Client(bUrl, a.ca);
    }, 120_000);
    afterAll(async () => {
      bClient?.close();
      if (b && b.exitCode === null) {
        const exited = new Promise((r) => b.once('exit', r));
        b.kill('SIGTERM');
        await exited;
      }
      await a?.stop();
    });

    it('a nonce used at one broker is ERR_REPLAY at the other', async () => {
      const t = await makeTenant(a);
      const k = await a.client.call('POST', '/v1/keys', { token: t.admin, body: { name: 'k' } });
      const e = await bClient.call('POST', '/v1/enrollment-tokens', { token: t.admin, body: { groups: ['g'] } });
      const stateDir = join(await mkdtemp(join(tmpdir(), 'sc-agent-')), 's');
      const agent = await BrokerAgent.enroll({ url: a.url, ca: a.ca, token: e.body.token, stateDir, device: { name: 'n' } });
      const secretKey = new Uint8Array(await readFile(join(stateDir, 'device.key')));
      const path = `/v1/keys/${k.body.keyId}/public`;
      // Behind a load balancer both brokers see the same Host: the signed @target-uri.
      const headers = signRequest({ method: 'GET', url: `${a.url}${path}`, body: new Uint8Array(), keyId: agent.deviceId, secretKey });
      const http = new PinnedHttps(a.ca);
      try {
        const first = await http.send('GET', `${a.url}${path}`, headers);
        expect(first.status).toBe(200);
        const replay = await http.send('GET', `${bUrl}${path}`, { ...headers, host: new URL(a.url).host });
        expect(replay.status).toBe(401);
        expect((replay.body as { error: { code: string } }).error.code).toBe('ERR_REPLAY');
        // A fresh nonce to the second broker is fine: the refusal was the replay, not the host.
        const fresh = signRequest({ method: 'GET', url: `${a.url}${path}`, body: new Uint8Array(), keyId: agent.deviceId, secretKey });
        expect((await http.send('GET', `${bUrl}${path}`, { ...fresh, host: new URL(a.url).host })).status).toBe(200);
      } finally {
        http.close();
        agent.close();
      }
    });

    it('a one-use enrollment token raced at both brokers enrolls one device', async () => {
      const t = await makeTenant(a);
      const e = await a.client.call('POST', '/v1/enrollment-tokens', { token: t.admin, body: { groups: ['g'], uses: 1 } });
      const tries = await Promise.allSettled(
        [a.url, bUrl, a.url, bUrl].map(async (url, i) =>
          BrokerAgent.enroll({
            url,
            ca: a.ca,
            token: e.body.token,
            stateDir: join(await mkdtemp(join(tmpdir(), 'sc-agent-')), `s${i}`),
            device: { name: `race-${i}` },
          }),
        ),
      );
      expect(tries.filter((r) => r.status === 'fulfilled').length).toBe(1);
      for (const r of tries) if (r.status === 'rejected') expect((r.reason as { code: string }).code).toBe('ERR_UNAUTHENTICATED');
      for (const r of tries) if (r.status === 'fulfilled') r.value.close();
      expect((await bClient.call('GET', '/v1/devices', { token: t.admin })).body.devices.length).toBe(1);
    });

    it('both append to one gapless audit sequence under concurrent writes', async () => {
      const t = await makeTenant(a);
      const before = (await a.client.call('GET', '/v1/audit?limit=1000', { token: t.auditor })).body.records.length;
      const writes = Array.from({ length: 40 }, (_, i) =>
        (i % 2 ? bClient : a.client).call('POST', '/v1/keys', { token: t.admin, body: { name: `key-${i}` } }),
      );
      const answers = await Promise.all(writes);
      expect(answers.map((r) => r.status)).toEqual(answers.map(() => 201));
      const fromA = (await a.client.call('GET', '/v1/audit?limit=1000', { token: t.auditor })).body.records;
      const fromB = (await bClient.call('GET', '/v1/audit?limit=1000', { token: t.auditor })).body.records;
      expect(fromA).toEqual(fromB);
      expect(fromA.length).toBe(before + 40);
      expect(fromA.map((r: { seq: number }) => r.seq)).toEqual(fromA.map((_: unknown, i: number) => i));
      expect(fromA.filter((r: { action: string }) => r.action === 'key.create').length).toBe(40);
      // Both sign every 4 records, taking turns under the database lock: no two scheduled
      // checkpoints closer than 4, each one a prefix of the one tree (no fork).
      await a.broker.checkpointsSettled();
      let sizes: number[] = [];
      for (let i = 0; i < 100; i++) {
        sizes = await sizesOf(a, t.tenantId);
        if (fromA.length - sizes.at(-1)! < 4) break;
        await new Promise((r) => setTimeout(r, 100)); // the other process's signature in flight
      }
      expect(fromA.length - sizes.at(-1)!).toBeLessThan(4);
      for (const gap of gaps(sizes)) expect(gap).toBeGreaterThanOrEqual(4);
      const notes = await a.broker.signedCheckpoints(t.tenantId);
      const { lines: all } = await exportLog(a, t.auditor);
      const vk = (await a.client.call('GET', '/v1/audit/checkpoint', { token: t.auditor })).body.verifierKey;
      for (const { size, note } of notes.filter((n) => sizes.includes(n.size)))
        expect(await verifyExport(all.slice(0, size), note, vk)).toMatchObject({ size });
      // One tree, not two forks: a checkpoint signed at either broker covers the other's export.
      const cpB = (await bClient.call('GET', '/v1/audit/checkpoint', { token: t.auditor })).body;
      const linesA = (await a.client.call('GET', '/v1/audit?limit=1000', { token: t.auditor })).body.lines;
      expect(await verifyExport(linesA, cpB.checkpoint, cpB.verifierKey)).toMatchObject({ size: fromA.length, beyond: 0 });
      const cpA = (await a.client.call('GET', '/v1/audit/checkpoint', { token: t.auditor })).body;
      expect(cpA.checkpoint).toBe(cpB.checkpoint);
    });
  });
});
