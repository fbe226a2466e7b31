/**
 * Opening a 2-of-3 threshold envelope beside a single-broker one, the brokers local:
 *   node --import tsx bench/threshold.ts [--rounds 40] [--kib 64]
 *
 * Starts three brokers in this process (each with its own data folder and PGlite store),
 * one tenant, key, auto-release policy and enrolled agent on each, then times
 * decryptEnvelope, one at a time after a warm-up: an envelope with one `broker` stanza
 * (one release) and a 2-of-3 group over the three brokers (three releases asked at once,
 * done at two). Prints the median and the 90th percentile of each and their ratio.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { randomBytes } from 'node:crypto';
import { BrokerAgent } from '../src/agent/index.js';
import { Broker } from '../src/broker/index.js';
import { decryptEnvelope, encryptEnvelope } from '../src/envelope/index.js';
import { Client, makeTenant } from '../test/broker/helpers.js';

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '40' }, kib: { type: 'string', default: '64' } } });
const ROUNDS = Number(values.rounds);
const claims = { identity: { region: 'eu-west-1' }, integrity: { firewall: true } };

async function startOne(dir: string, name: string) {
  const dataDir = join(dir, name);
  const { broker, operatorToken, caFile } = await Broker.create({ dataDir, database: `pglite:${join(dataDir, 'db')}` });
  const url = await broker.listen({ host: '127.0.0.1', port: 0 });
  const ca = await readFile(caFile, 'utf8');
  const client = new Client(url, ca);
  const t = await makeTenant({ client, operatorToken });
  const call = async (method: string, path: string, body?: unknown) => (await client.call(method, path, { token: t.admin, body })).body;
  const key = await call('POST', '/v1/keys', { name: 'bench' });
  await call('PUT', '/v1/policies/bench', {
    keys: [key.keyId],
    devices: { groups: ['bench'] },
    rules: { allOf: [{ claim: 'integrity.firewall', equals: true }] },
    approval: { mode: 'auto' },
  });
  const { token } = await call('POST', '/v1/enrollment-tokens', { groups: ['bench'], uses: 1 });
  client.close();
  const stateDir = join(dir, `${name}-agent`);
  (await BrokerAgent.enroll({ url, ca, token, stateDir, device: { name: `bench-${name}` } })).close();
  const agent = await BrokerAgent.load({ stateDir, claims });
  return { broker, agent, recipient: { broker: { keyId: key.keyId, version: key.version, publicKey: key.publicKey, url } } };
}

function stats(ms: number[]): { median: number; p90: number } {
  const s = [...ms].sort((a, b) => a - b);
  return { median: s[Math.floor(s.length / 2)], p90: s[Math.min(s.length - 1, Math.floor(0.9 * s.length))] };
}

async function time(label: string, envelope: Uint8Array, identities: BrokerAgent[]): Promise<{ median: number; p90: number }> {
  for (let i = 0; i < 5; i++) await decryptEnvelope(envelope, { identities });
  const ms: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    const t0 = performance.now();
    await decryptEnvelope(envelope, { identities });
    ms.push(performance.now() - t0);
  }
  const r = stats(ms);
  console.log(`${label.padEnd(28)} median ${r.median.toFixed(1)} ms, p90 ${r.p90.toFixed(1)} ms (${ROUNDS} rounds)`);
  return r;
}

const dir = await mkdtemp(join(tmpdir(), 'sc-bench-thr-'));
const members = [];
try {
  for (const name of ['a', 'b', 'c']) members.push(await startOne(dir, name));
  const plaintext = new Uint8Array(randomBytes(Number(values.kib) * 1024));
  const { url: _url, ...key } = members[0].recipient.broker;
  const single = await encryptEnvelope(plaintext, { recipients: [{ broker: key }] });
  const group = await encryptEnvelope(plaintext, { threshold: { k: 2, recipients: members.map((m) => m.recipient) } });
  console.log(
    `load average ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}; payload ${values.kib} KiB`,
  );
  const one = await time('single broker (1 release)', single, [members[0].agent]);
  const two = await time(
    '2-of-3 (3 asked, done at 2)',
    group,
    members.map((m) => m.agent),
  );
  console.log(`ratio 2-of-3 / single: ${(two.median / one.median).toFixed(2)} (median)`);
} finally {
  for (const m of members) {
    m.agent.close();
    await m.broker.close();
  }
  await rm(dir, { recursive: true, force: true });
}
