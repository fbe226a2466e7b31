/**
 * `broker root-key rotate` and `broker operator-token new` on a real store, as an attacker
 * and an unlucky operator would try them: after a rotation the old root key opens no sealed
 * row and releases still work; a broker holding the old root.key refuses to start, or (running)
 * never seals under it; a crash at any step of the rotation leaves a folder that opens; the
 * replaced operator token stops working.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { cp, mkdtemp, readFile, stat, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { randomBytes, randomUUID } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { BrokerAgent } from '../../../src/agent/index.js';
import { Broker } from '../../../src/broker/index.js';
import { hpkeSeal } from '../../../src/keys/hpke.js';
import { verifyExport } from '../../../src/audit/index.js';
import { openStore } from '../../../src/broker/store/open.js';
import { openAtRest, rootKeyId, sealedUnder } from '../../../src/broker/root-key/seal.js';
import { resealAll } from '../../../src/broker/root-key/rotate.js';
import { writeKeyFile } from '../../../src/broker/root-key/files.js';
import { Client, makeTenant } from '../helpers.js';
import { CLI } from '../../entry.js';
import { xksCall } from '../xks/signer.js';

interface Run {
  status: number;
  stdout: string;
  stderr: string;
}

/** The CLI as a child; asynchronous, since a broker in this process may have to answer it. */
export function sectorcrypt(args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [...CLI, ...args], { encoding: 'utf8' }, (err, stdout, stderr) =>
      resolve({ status: err ? Number((err as { code?: unknown }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

const children = new Set<ChildProcess>();

/** `broker serve` in a child process: its URL, or its exit code and stderr when it refuses to start. */
export async function serveChild(data: string): Promise<{ proc: ChildProcess; url: string; stderr: () => string }> {
  const proc = spawn(process.execPath, [...CLI, 'broker', 'serve', '--data', data, '--listen', '127.0.0.1:0', '--json'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(proc);
  let err = '';
  proc.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: proc.stdout! }).once('line', resolve);
    proc.once('exit', (code) => reject(Object.assign(new Error(`serve exited ${code}: ${err}`), { stderr: () => err })));
  });
  return { proc, url: JSON.parse(line).url, stderr: () => err };
}

export async function stopChild(proc: ChildProcess): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return;
  const exited = new Promise((r) => proc.once('exit', r));
  proc.kill('SIGTERM');
  await exited;
}

/** Every sealed secret of the store, as stored. */
async function sealedRows(database: string): Promise<{ tenant: string; keyId: string; version: number; sealed: Uint8Array }[]> {
  const store = await openStore(database);
  try {
    const versions = await store.query<{ tenant_id: string; key_id: string; version: number; sealed_secret: Uint8Array }>(
      'SELECT tenant_id, key_id, version, sealed_secret FROM key_versions WHERE sealed_secret IS NOT NULL',
    );
    const logs = await store.query<{ tenant_id: string; sealed_secret: Uint8Array }>('SELECT tenant_id, sealed_secret FROM audit_log_keys');
    return [
      ...versions.map((r) => ({
        tenant: r.tenant_id,
        keyId: r.key_id,
        version: Number(r.version),
        sealed: new Uint8Array(r.sealed_secret),
      })),
      ...logs.map((r) => ({ tenant: r.tenant_id, keyId: 'audit-log', version: 1, sealed: new Uint8Array(r.sealed_secret) })),
    ];
  } finally {
    await store.close();
  }
}

function opens(key: Uint8Array, r: { tenant: string; keyId: string; version: number; sealed: Uint8Array }): boolean {
  try {
    openAtRest(key, r.tenant, r.keyId, r.version, r.sealed).fill(0);
    return true;
  } catch {
    return false;
  }
}

/** A tenant with an auto-released key and an enrolled agent: `release()` unwraps a fresh secret. */
async function releasing(h: { client: Client; operatorToken: string; url: string; ca: string }, dir: string) {
  const t = await makeTenant(h);
  const key = await h.client.call('POST', '/v1/keys', { token: t.admin, body: { name: 'k' } });
  expect(key.status).toBe(201);
  await h.client.call('PUT', '/v1/policies/all', {
    token: t.admin,
    body: { keys: [key.body.keyId], devices: { groups: ['g'] }, rules: { claim: 'device.id', exists: true }, approval: { mode: 'auto' } },
  });
  const enroll = (await h.client.call('POST', '/v1/enrollment-tokens', { token: t.admin, body: { groups: ['g'], uses: 4 } })).body
    .token as string;
  const agentAt = (url: string, name: string) =>
    BrokerAgent.enroll({ url, ca: h.ca, token: enroll, stateDir: join(dir, `agent-${name}-${randomUUID()}`), device: { name } });
  const te = new TextEncoder();
  const release = async (agent: BrokerAgent, keyId = key.body.keyId as string, publicKey = key.body.publicKey as string, version = 1) => {
    const uuid = randomUUID();
    const secret = new Uint8Array(randomBytes(32));
    const sealed = await hpkeSeal(
      'x25519',
      new Uint8Array(Buffer.from(publicKey, 'base64')),
      te.encode('sectorcrypt-luks2/v1 broker'),
      te.encode(`${keyId}/${version}/${uuid}`),
      secret,
    );
    const got = await agent.unwrap({ keyId, version, ...sealed }, { resource: `luks2:${uuid}` });
    expect(Buffer.from(got).equals(Buffer.from(secret))).toBe(true);
  };
  return { t, key: key.body as { keyId: string; publicKey: string }, agentAt, release };
}

async function started(data: string, database: string, port = 0) {
  const broker = await Broker.open({ dataDir: data, database });
  const url = await broker.listen({ host: '127.0.0.1', port });
  const ca = await readFile(join(data, 'ca.pem'), 'utf8');
  const client = new Client(url, ca);
  return {
    broker,
    url,
    ca,
    client,
    async stop() {
      client.close();
      await broker.close();
    },
  };
}

async function code(p: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await p;
  } catch (err) {
    return err as { code: string; message: string };
  }
  throw new Error('expected a refusal');
}

/**
 * `database()` names a fresh store: a postgres:// URL, or undefined for PGlite in DATA/db
 * (one process at a time: the broker is stopped while the CLI works on its folder).
 */
export function rootKeySuite(database: () => Promise<string | undefined>, opts: { shared: boolean }): void {
  describe('root key rotation and operator token', () => {
    afterAll(() => {
      for (const proc of children) if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
    });

    async function fresh() {
      const dir = await mkdtemp(join(tmpdir(), 'sc-rootkey-'));
      const data = join(dir, 'data');
      const dbUrl = await database();
      const { operatorToken } = await Broker.init({ dataDir: data, ...(dbUrl ? { database: dbUrl } : {}) });
      return { dir, data, database: dbUrl ?? `pglite:${join(data, 'db')}`, operatorToken };
    }

    it('re-seals XKS credentials and keys: the same SigV4 secret verifies and old ciphertexts decrypt after a rotation', async () => {
      const f = await fresh();
      let b = await started(f.data, f.database);
      const t = await makeTenant({ client: b.client, operatorToken: f.operatorToken });
      const store = (await b.client.call('POST', '/v1/xks/keystores', { token: t.admin, body: { name: 'kms' } })).body;
      const key = (
        await b.client.call('POST', '/v1/keys', { token: t.admin, body: { name: 'x', type: 'aes256', usage: ['ENCRYPT', 'DECRYPT'] } })
      ).body;
      await b.client.call('PUT', '/v1/policies/xks', {
        token: t.admin,
        body: {
          keys: [key.keyId],
          xks: { keystores: [store.keystoreId] },
          rules: { claim: 'xks.kmsRequestId', exists: true },
          approval: { mode: 'auto' },
        },
      });
      const md = (op: string) => ({
        awsPrincipalArn: 'arn:aws:iam::1:root',
        kmsKeyArn: 'arn:aws:kms:eu-west-1:1:key/k',
        kmsOperation: op,
        kmsRequestId: randomUUID(),
      });
      const at = (url: string, call: string) => `${url}${store.uriPath}/keys/${key.keyId}/${call}`;
      const enc = await xksCall(
        b.ca,
        at(b.url, 'encrypt'),
        { requestMetadata: md('Encrypt'), plaintext: 'AAECAw==', encryptionAlgorithm: 'AES_GCM' },
        store,
      );
      expect(enc.status).toBe(200);
      await b.stop();
      const rotated = await sectorcrypt(['broker', 'root-key', 'rotate', '--data', f.data, '--json']);
      expect(rotated.status, rotated.stderr).toBe(0);
      expect(JSON.parse(rotated.stdout)).toMatchObject({ keyVersions: 1, xksCredentials: 1 });
      b = await started(f.data, f.database);
      try {
        const { ciphertext, initializationVector, authenticationTag } = enc.body;
        const dec = await xksCall(
          b.ca,
          at(b.url, 'decrypt'),
          { requestMetadata: md('Decrypt'), encryptionAlgorithm: 'AES_GCM', ciphertext, initializationVector, authenticationTag },
          store,
        );
        expect([dec.status, dec.body.plaintext]).toEqual([200, 'AAECAw==']);
      } finally {
        await b.stop();
      }
    }, 120_000);

    it('re-seals every secret: the old root key opens no row, releases and checkpoints still work, the old root.key refuses to start', async () => {
      const f = await fresh();
      const oldKey = new Uint8Array(await readFile(join(f.data, 'root.key')));
      let b = await started(f.data, f.database);
      const port = Number(new URL(b.url).port);
      const r = await releasing({ ...b, operatorToken: f.operatorToken }, f.dir);
      const agent = await r.agentAt(b.url, 'a');
      await r.release(agent);
      await b.stop();

      const rotated = await sectorcrypt(['broker', 'root-key', 'rotate', '--data', f.data, '--json']);
      expect(rotated.status, rotated.stderr).toBe(0);
      const result = JSON.parse(rotated.stdout);
      const newKey = new Uint8Array(await readFile(join(f.data, 'root.key')));
      expect(Buffer.from(newKey).equals(Buffer.from(oldKey))).toBe(false);
      expect((await stat(join(f.data, 'root.key'))).mode & 0o777).toBe(0o600);
      expect(existsSync(join(f.data, 'root.key.new'))).toBe(false);
      expect(existsSync(join(f.data, 'root.key.old'))).toBe(false);
      expect(result).toMatchObject({ rootKeyId: Buffer.from(rootKeyId(newKey)).toString('hex'), keyVersions: 1 });
      expect(result.logKeys).toBeGreaterThanOrEqual(1);
      expect(rotated.stdout).not.toContain(Buffer.from(newKey).toString('hex'));

      const rows = await sealedRows(f.database);
      expect(rows.length).toBe(result.keyVersions + result.logKeys);
      for (const row of rows) {
        expect(opens(oldKey, row), `${row.tenant}/${row.keyId}`).toBe(false);
        expect(opens(newKey, row)).toBe(true);
        expect(Buffer.from(sealedUnder(row.sealed)!).equals(Buffer.from(rootKeyId(newKey)))).toBe(true);
      }

      // A data folder that still holds the old root.key, on the same database: refuses to start.
      const stale = join(f.dir, 'stale');
      await cp(f.data, stale, { recursive: true, filter: (src) => !src.startsWith(join(f.data, 'db')) });
      await writeFile(join(stale, 'root.key'), oldKey, { mode: 0o600 });
      const refused = await code(Broker.open({ dataDir: stale, database: f.database }));
      expect(refused.code).toBe('ERR_ROOT_KEY_MISMATCH');
      expect(refused.message).toContain(join(stale, 'root.key'));

      b = await started(f.data, f.database, port);
      try {
        await r.release(agent); // a new process: the version key is opened under the new root key
        const made = await b.client.call('POST', '/v1/keys', { token: r.t.admin, body: { name: 'after' } });
        expect(made.status).toBe(201);
        // The tenant's log: the rotation is in it, and a checkpoint signed with the re-sealed log key verifies.
        const audit = (await b.client.call('GET', '/v1/audit?limit=1000', { token: r.t.auditor })).body;
        expect(audit.records.filter((x: { action: string }) => x.action === 'root-key.rotate')).toMatchObject([
          { actor: 'broker', target: result.rootKeyId, reasons: { keyVersions: 1, logKeys: 1 } },
        ]);
        const cpt = (await b.client.call('GET', '/v1/audit/checkpoint', { token: r.t.auditor })).body;
        expect(await verifyExport(audit.lines, cpt.checkpoint, cpt.verifierKey)).toMatchObject({ size: audit.records.length });
        const system = (await b.client.call('GET', '/v1/audit?limit=1000', { token: f.operatorToken })).body.records;
        expect(system.filter((x: { action: string }) => x.action === 'root-key.rotate').length).toBe(1);
      } finally {
        agent.close();
        await b.stop();
      }
    }, 240_000);

    it.runIf(opts.shared)(
      'two brokers on one database: the one not rotated never seals under the old key, picks up the copied root.key, and a stale folder refuses to start',
      async () => {
        const f = await fresh();
        const oldKey = new Uint8Array(await readFile(join(f.data, 'root.key')));
        // The second broker has its own data folder (another host): the same files, copied.
        const dataB = join(f.dir, 'b');
        await cp(f.data, dataB, { recursive: true });
        const stale = join(f.dir, 'stale');
        await cp(f.data, stale, { recursive: true });
        const a = await started(f.data, f.database);
        const b = await serveChild(dataB);
        const bClient = new Client(b.url, a.ca);
        const r = await releasing({ ...a, operatorToken: f.operatorToken }, f.dir);
        const agentB = await r.agentAt(b.url, 'b');
        const k2 = (await a.client.call('POST', '/v1/keys', { token: r.t.admin, body: { name: 'k2' } })).body;
        await a.client.call('PUT', '/v1/policies/k2', {
          token: r.t.admin,
          body: { keys: [k2.keyId], devices: { groups: ['g'] }, rules: { claim: 'device.id', exists: true }, approval: { mode: 'auto' } },
        });
        try {
          await r.release(agentB); // b has opened version 1 of the first key
          const rotated = await sectorcrypt(['broker', 'root-key', 'rotate', '--data', f.data, '--json']);
          expect(rotated.status, rotated.stderr).toBe(0);

          // b still holds the old key: what it would seal is refused, and it says which file to copy.
          const refused = await bClient.call('POST', '/v1/keys', { token: r.t.admin, body: { name: 'from-b' } });
          expect(refused.status).toBe(503);
          expect(refused.body.error.code).toBe('ERR_ROOT_KEY_MISMATCH');
          expect(refused.body.error.message).toContain(join(dataB, 'root.key'));
          // A key it never opened does not open under the old key: refused, never a wrong answer.
          const denied = await code(r.release(agentB, k2.keyId, k2.publicKey));
          expect(denied.code).toBe('ERR_ROOT_KEY_MISMATCH');
          // A version it had opened before is the same X25519 key: still released.
          await r.release(agentB);

          // a (in this process) read the new root.key from its own folder on its first refusal.
          const first = await a.client.call('POST', '/v1/keys', { token: r.t.admin, body: { name: 'from-a' } });
          if (first.status !== 201) {
            expect(first.body.error.code).toBe('ERR_ROOT_KEY_MISMATCH');
            expect((await a.client.call('POST', '/v1/keys', { token: r.t.admin, body: { name: 'from-a' } })).status).toBe(201);
          }

          // A broker started from a folder with the old root.key refuses, naming the file.
          const never = await code(serveChild(stale));
          expect((never as unknown as { stderr: () => string }).stderr()).toContain('ERR_ROOT_KEY_MISMATCH');
          expect((never as unknown as { stderr: () => string }).stderr()).toContain(join(stale, 'root.key'));

          // The operator copies root.key to b: b picks it up without a restart.
          await writeFile(join(dataB, 'root.key'), await readFile(join(f.data, 'root.key')), { mode: 0o600 });
          await r.release(agentB, k2.keyId, k2.publicKey);
          expect((await bClient.call('POST', '/v1/keys', { token: r.t.admin, body: { name: 'from-b' } })).status).toBe(201);
          const cpt = await bClient.call('GET', '/v1/audit/checkpoint', { token: r.t.auditor });
          expect(cpt.status).toBe(200);

          for (const row of await sealedRows(f.database)) expect(opens(oldKey, row)).toBe(false);
        } finally {
          agentB.close();
          bClient.close();
          await stopChild(b.proc);
          await a.stop();
        }
      },
      240_000,
    );

    it('a crash at any step of a rotation leaves a data folder that opens', async () => {
      const f = await fresh();
      const oldKey = new Uint8Array(await readFile(join(f.data, 'root.key')));
      let b = await started(f.data, f.database);
      const port = Number(new URL(b.url).port);
      const r = await releasing({ ...b, operatorToken: f.operatorToken }, f.dir);
      const agent = await r.agentAt(b.url, 'a');
      await b.stop();
      try {
        // 1. Killed after writing root.key.new, before the commit: root.key is still the one.
        const k1 = new Uint8Array(randomBytes(32));
        await writeKeyFile(f.data, 'root.key.new', k1);
        b = await started(f.data, f.database, port);
        await r.release(agent);
        await b.stop();
        // The next rotation will not overwrite a root.key.new it did not write.
        const busy = await sectorcrypt(['broker', 'root-key', 'rotate', '--data', f.data]);
        expect(busy.status).toBe(1);
        expect(busy.stderr).toContain('ERR_EXISTS');
        expect(Buffer.from(await readFile(join(f.data, 'root.key'))).equals(Buffer.from(oldKey))).toBe(true);

        // 2. Killed after the commit, before any rename: the next open finishes the rotation.
        const store = await openStore(f.database);
        try {
          await resealAll(store, oldKey, k1);
        } finally {
          await store.close();
        }
        b = await started(f.data, f.database, port);
        await r.release(agent);
        await b.stop();
        expect(Buffer.from(await readFile(join(f.data, 'root.key'))).equals(Buffer.from(k1))).toBe(true);
        expect(existsSync(join(f.data, 'root.key.new'))).toBe(false);
        expect(Buffer.from(await readFile(join(f.data, 'root.key.old'))).equals(Buffer.from(oldKey))).toBe(true);

        // 3. Killed between the two renames: no root.key, root.key.new holds the database's key.
        const k2 = new Uint8Array(randomBytes(32));
        const store2 = await openStore(f.database);
        try {
          await resealAll(store2, k1, k2);
        } finally {
          await store2.close();
        }
        const { rename, writeFile: write } = await import('node:fs/promises');
        await rename(join(f.data, 'root.key'), join(f.data, 'root.key.old'));
        await write(join(f.data, 'root.key.new'), k2, { mode: 0o600 });
        b = await started(f.data, f.database, port);
        await r.release(agent);
        await b.stop();
        expect(Buffer.from(await readFile(join(f.data, 'root.key'))).equals(Buffer.from(k2))).toBe(true);
        for (const row of await sealedRows(f.database)) expect(opens(oldKey, row) || opens(k1, row)).toBe(false);
      } finally {
        agent.close();
      }
    }, 240_000);

    it('operator-token new: the old operator token stops working, the new one (printed once) works', async () => {
      const f = await fresh();
      let b = await started(f.data, f.database);
      expect((await b.client.call('GET', '/v1/audit?limit=1', { token: f.operatorToken })).status).toBe(200);
      if (!opts.shared) await b.stop();
      const made = await sectorcrypt(['broker', 'operator-token', 'new', '--data', f.data, '--json']);
      expect(made.status, made.stderr).toBe(0);
      const t = JSON.parse(made.stdout);
      expect(t.operatorToken).toMatch(/^sct_/);
      expect(t.revoked).toBe(1);
      const text = await sectorcrypt(['broker', 'operator-token', 'new', '--data', f.data]);
      expect(text.status, text.stderr).toBe(0);
      const lines = text.stdout.trim().split('\n');
      const third = lines.at(-1)!;
      expect(third).toMatch(/^sct_/);
      expect(text.stdout.split(third).length).toBe(2); // printed once
      if (!opts.shared) b = await started(f.data, f.database);
      try {
        const old = await b.client.call('GET', '/v1/audit?limit=1', { token: f.operatorToken });
        expect(old.status).toBe(401);
        expect(old.body.error.code).toBe('ERR_UNAUTHENTICATED');
        expect((await b.client.call('GET', '/v1/audit?limit=1', { token: t.operatorToken })).status).toBe(401); // replaced by the third
        expect((await b.client.call('GET', '/v1/audit?limit=1', { token: third })).status).toBe(200);
        const log = (await b.client.call('GET', '/v1/audit?limit=1000', { token: third })).body.records as { action: string }[];
        expect(log.filter((x) => x.action === 'token.revoke').length).toBe(2);
      } finally {
        await b.stop();
      }
    }, 120_000);
  });
}
