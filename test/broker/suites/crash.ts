/**
 * kill -9 while agents are releasing, then restart on the same data folder: every secret an
 * agent received has its key.release record, no request row lacks its record, the log has no
 * gap and its Merkle tree verifies against a fresh checkpoint, and the broker serves again.
 * (The decision and its record commit together before the answer is sent.) Run on
 * PostgreSQL and on the embedded PGlite store in the data folder: the checks go through the
 * restarted broker's API, so they hold for either.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { createInterface } from 'node:readline';
import { BrokerAgent } from '../../../src/agent/index.js';
import { Broker } from '../../../src/broker/index.js';
import { hpkeSeal } from '../../../src/keys/hpke.js';
import { verifyExport } from '../../../src/audit/index.js';
import { Client, makeTenant } from '../helpers.js';
import { CLI } from '../../entry.js';

/** Every broker process started here, so that a failed or timed-out test leaves none behind. */
const children = new Set<ChildProcess>();

async function serve(data: string, port: number): Promise<{ proc: ChildProcess; url: string }> {
  const proc = spawn(process.execPath, [...CLI, 'broker', 'serve', '--data', data, '--listen', `127.0.0.1:${port}`, '--json'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.add(proc);
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: proc.stdout! }).once('line', resolve);
    proc.once('exit', (code) => reject(new Error(`serve exited ${code}`)));
  });
  return { proc, url: JSON.parse(line).url };
}

/** `database` names the store; undefined is the default, PGlite in DATA/db. */
export function crashSuite(database: () => Promise<string | undefined>): void {
  describe('kill -9 during releases', () => {
    afterAll(() => {
      for (const proc of children) if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
    });
    it('leaves no released key without its record, and serves again after a restart', async () => {
      const dir = await mkdtemp(join(tmpdir(), 'sc-crash-'));
      const data = join(dir, 'data');
      const dbUrl = await database();
      // init in this process (the CLI's init has its own test); serve in one we can kill.
      const { operatorToken, caFile } = await Broker.init({ dataDir: data, ...(dbUrl ? { database: dbUrl } : {}) });
      const ca = await readFile(caFile, 'utf8');
      // A fixed port, so the agents' signed URL stays the same after the restart.
      let first = await serve(data, 0);
      const port = Number(new URL(first.url).port);
      const client = new Client(first.url, ca);
      const t = await makeTenant({ client, operatorToken });
      const key = await client.call('POST', '/v1/keys', { token: t.admin, body: { name: 'k' } });
      const pub = new Uint8Array(Buffer.from(key.body.publicKey, 'base64'));
      await client.call('PUT', '/v1/policies/all', {
        token: t.admin,
        body: {
          keys: [key.body.keyId],
          devices: { groups: ['g'] },
          rules: { claim: 'device.id', exists: true },
          approval: { mode: 'auto' },
        },
      });
      const enrollToken = (await client.call('POST', '/v1/enrollment-tokens', { token: t.admin, body: { groups: ['g'], uses: 4 } })).body
        .token;
      client.close();
      const agents = await Promise.all(
        [0, 1, 2, 3].map(async (i) =>
          BrokerAgent.enroll({ url: first.url, ca, token: enrollToken, stateDir: join(dir, `agent-${i}`), device: { name: `a${i}` } }),
        ),
      );
      const uuid = randomUUID();
      const te = new TextEncoder();
      const sealed = await hpkeSeal(
        'x25519',
        pub,
        te.encode('sectorcrypt-luks2/v1 broker'),
        te.encode(`${key.body.keyId}/1/${uuid}`),
        new Uint8Array(32).fill(1),
      );
      const stanza = { keyId: key.body.keyId, version: 1, ...sealed };

      let received = 0;
      let stop = false;
      let running = agents.length;
      let failure: unknown;
      const loops = agents.map(async (a) => {
        try {
          while (!stop) {
            const s = await a.unwrap(stanza, { resource: `luks2:${uuid}` });
            if (s[0] === 1) received++;
          }
        } catch (err) {
          if (!stop) failure ??= err; // before the kill, a refusal is the test's failure
        } finally {
          running--;
        }
      });
      while (received < 20 && running > 0) await new Promise((r) => setTimeout(r, 20));
      if (failure) throw failure;
      first.proc.kill('SIGKILL');
      stop = true;
      await Promise.all(loops);

      first = await serve(data, port);
      const after = new Client(first.url, ca);
      try {
        const audit = (await after.call('GET', '/v1/audit?limit=1000', { token: t.auditor })).body as {
          records: { seq: number; action: string; requestId?: string }[];
          lines: string[];
        };
        const released = audit.records.filter((r) => r.action === 'key.release');
        expect(released.length).toBeGreaterThanOrEqual(received);
        expect(audit.records.map((r) => r.seq)).toEqual(audit.records.map((_, i) => i)); // seq counts from 0, no gap
        // No request without its record (a decision and its record are one transaction).
        const requests = (await after.call('GET', '/v1/requests?limit=500', { token: t.admin })).body.requests as {
          requestId: string;
          status: string;
        }[];
        expect(requests.length).toBeLessThan(500);
        const recorded = new Set(audit.records.map((r) => r.requestId));
        expect(requests.filter((r) => !recorded.has(r.requestId))).toEqual([]);
        expect(requests.filter((r) => r.status === 'released').length).toBe(released.length);
        // The tree over every record verifies against a checkpoint signed after the restart.
        const cp = (await after.call('GET', '/v1/audit/checkpoint', { token: t.auditor })).body;
        expect(await verifyExport(audit.lines, cp.checkpoint, cp.verifierKey)).toMatchObject({ size: audit.records.length });

        const again = await agents[0]!.unwrap(stanza, { resource: `luks2:${uuid}` });
        expect(again[0]).toBe(1);
      } finally {
        after.close();
        for (const a of agents) a.close();
        const exited = new Promise((r) => first.proc.once('exit', r));
        first.proc.kill('SIGTERM');
        await exited;
      }
    }, 240_000); // seconds on an idle machine; a PGlite init and two starts take minutes on a loaded one
  });
}
