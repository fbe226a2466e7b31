/**
 * `npm run bench:broker`: N agents release keys concurrently over HTTPS (keep-alive,
 * loopback) through the whole path (RFC 9421 signature, nonce insert, policy, HPKE open and
 * seal, decision and audit record in one transaction), on PGlite and on PostgreSQL.
 *
 *   node --import tsx bench/broker.ts [--agents 32] [--seconds 5] [--store pglite|postgres|both]
 *
 * PostgreSQL is started in a temp folder (as in the tests) when its binaries are present.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { Broker } from '../src/broker/index.js';
import { BrokerAgent } from '../src/agent/index.js';
import { hpkeSeal } from '../src/keys/hpke.js';
import { Client, makeTenant } from '../test/broker/helpers.js';
import { startPostgres } from '../test/broker/postgres-server.js';

const { values } = parseArgs({ options: { agents: { type: 'string', default: '32' }, seconds: { type: 'string', default: '5' }, store: { type: 'string', default: 'both' } } });
const AGENTS = Number(values.agents);
const SECONDS = Number(values.seconds);

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

async function run(label: string, database: string): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'sc-bench-'));
  const { broker, operatorToken, caFile } = await Broker.create({ dataDir: join(dir, 'data'), database });
  try {
    const url = await broker.listen({ host: '127.0.0.1', port: 0 });
    const ca = await readFile(caFile, 'utf8');
    const client = new Client(url, ca);
    const t = await makeTenant({ client, operatorToken });
    const key = await client.call('POST', '/v1/keys', { token: t.admin, body: { name: 'bench' } });
    await client.call('PUT', '/v1/policies/bench', {
      token: t.admin,
      body: { keys: [key.body.keyId], devices: { groups: ['bench'] }, rules: { allOf: [{ claim: 'integrity.firewall', equals: true }, { claim: 'identity.region', in: ['eu-west-1'] }] }, approval: { mode: 'auto' } },
    });
    const token = (await client.call('POST', '/v1/enrollment-tokens', { token: t.admin, body: { groups: ['bench'], uses: AGENTS } })).body.token;
    client.close();
    const claims = { identity: { region: 'eu-west-1' }, integrity: { firewall: true } };
    const agents: BrokerAgent[] = [];
    for (let i = 0; i < AGENTS; i++) {
      const stateDir = join(dir, `agent-${i}`);
      (await BrokerAgent.enroll({ url, ca, token, stateDir, device: { name: `bench-${i}` } })).close();
      agents.push(await BrokerAgent.load({ stateDir, claims }));
    }
    const uuid = randomUUID();
    const te = new TextEncoder();
    const pub = new Uint8Array(Buffer.from(key.body.publicKey, 'base64'));
    const sealed = await hpkeSeal('x25519', pub, te.encode('sectorcrypt-luks2/v1 broker'), te.encode(`${key.body.keyId}/1/${uuid}`), new Uint8Array(32).fill(1));
    const stanza = { keyId: key.body.keyId, version: 1, ...sealed };
    // Warm up: connections, JIT, the database's caches.
    await Promise.all(agents.map((a) => a.unwrap(stanza, { resource: `luks2:${uuid}` })));

    const latencies: number[] = [];
    const end = performance.now() + SECONDS * 1000;
    const started = performance.now();
    await Promise.all(
      agents.map(async (a) => {
        while (performance.now() < end) {
          const t0 = performance.now();
          const s = await a.unwrap(stanza, { resource: `luks2:${uuid}` });
          latencies.push(performance.now() - t0);
          s.fill(0);
        }
      }),
    );
    const elapsed = (performance.now() - started) / 1000;
    latencies.sort((x, y) => x - y);
    console.log(
      JSON.stringify({ store: label, agents: AGENTS, seconds: Number(elapsed.toFixed(2)), releases: latencies.length, perSecond: Math.round(latencies.length / elapsed), p50ms: Number(percentile(latencies, 50).toFixed(1)), p99ms: Number(percentile(latencies, 99).toFixed(1)) }),
    );
    for (const a of agents) a.close();
  } finally {
    await broker.close();
    await rm(dir, { recursive: true, force: true });
  }
}

if (values.store !== 'postgres') await run('pglite', 'pglite:memory');
if (values.store !== 'pglite') {
  const pg = await startPostgres();
  if (!pg.server) console.log(JSON.stringify({ store: 'postgres', skipped: pg.reason }));
  else {
    try {
      await run('postgres', await pg.server.createDatabase('bench'));
    } finally {
      await pg.server.stop();
    }
  }
}
