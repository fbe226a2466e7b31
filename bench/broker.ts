/**
 * `npm run bench:broker`: N agents release keys concurrently over HTTPS (keep-alive,
 * loopback) through the whole path (RFC 9421 signature, nonce, policy, HPKE open and seal,
 * decision and audit record committed before the answer), on PGlite and on PostgreSQL.
 *
 *   node --import tsx bench/broker.ts [--agents 32] [--seconds 5] [--store pglite|postgres|both]
 *                                     [--pglite-memory] [--checkpoint-records 256] [--rate R]
 *
 * Without --rate each agent asks again as soon as it has its answer (a closed loop: with 32
 * agents the mean latency is 32 / throughput). --rate R offers R releases per second in all,
 * spread over the agents, and counts each latency from when its request was due.
 *
 * The agents run in a child process (bench/broker-agents.ts), as they would on other
 * machines; the broker runs in this one. PGlite is the default store, in the data folder on
 * disk (--pglite-memory for an in-memory one). PostgreSQL is started in a temp folder (as in
 * the tests) when its binaries are present. Besides releases per second and latency, it
 * prints the CPU time per release of the broker's process (all its threads), of the agents'
 * process and of the PostgreSQL server (its processes, from /proc), the 99th percentile of
 * the broker's and the agents' event-loop delays, and the broker's peak RSS.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { Broker } from '../src/broker/index.js';
import { eachStoreInItsOwnProcess, percentile, postgresCpuMs } from './broker-runs.js';
import { hpkeSeal } from '../src/keys/hpke.js';
import { Client, makeTenant } from '../test/broker/helpers.js';
import { startPostgres } from '../test/broker/postgres-server.js';

const { values } = parseArgs({
  options: {
    agents: { type: 'string', default: '32' },
    seconds: { type: 'string', default: '5' },
    store: { type: 'string', default: 'both' },
    'pglite-memory': { type: 'boolean', default: false },
    'checkpoint-records': { type: 'string', default: '256' },
    rate: { type: 'string', default: '0' },
  },
});
const AGENTS = Number(values.agents);
const SECONDS = Number(values.seconds);

/**
 * CPU time so far of every process named `postgres` (the server the bench started, its
 * backends and helpers), from /proc; undefined where there is no /proc.
 */

async function run(label: string, database: string | undefined): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'sc-bench-'));
  const checkpoints = { everyRecords: Number(values['checkpoint-records']), everySeconds: 60 };
  const { broker, operatorToken, caFile } = await Broker.create({
    dataDir: join(dir, 'data'),
    checkpoints,
    ...(database ? { database } : {}),
  });
  try {
    const url = await broker.listen({ host: '127.0.0.1', port: 0 });
    const ca = await readFile(caFile, 'utf8');
    const client = new Client(url, ca);
    const t = await makeTenant({ client, operatorToken });
    const key = await client.call('POST', '/v1/keys', { token: t.admin, body: { name: 'bench' } });
    await client.call('PUT', '/v1/policies/bench', {
      token: t.admin,
      body: {
        keys: [key.body.keyId],
        devices: { groups: ['bench'] },
        rules: {
          allOf: [
            { claim: 'integrity.firewall', equals: true },
            { claim: 'identity.region', in: ['eu-west-1'] },
          ],
        },
        approval: { mode: 'auto' },
      },
    });
    const token = (await client.call('POST', '/v1/enrollment-tokens', { token: t.admin, body: { groups: ['bench'], uses: AGENTS } })).body
      .token;
    client.close();
    const uuid = randomUUID();
    const te = new TextEncoder();
    const pub = new Uint8Array(Buffer.from(key.body.publicKey, 'base64'));
    const sealed = await hpkeSeal(
      'x25519',
      pub,
      te.encode('sectorcrypt-luks2/v1 broker'),
      te.encode(`${key.body.keyId}/1/${uuid}`),
      new Uint8Array(32).fill(1),
    );

    const child = fork(join(import.meta.dirname, 'broker-agents.ts'), [], {
      execArgv: [
        '--import',
        'tsx',
        ...(process.env.BENCH_AGENT_PROF ? ['--cpu-prof', '--cpu-prof-dir', process.env.BENCH_AGENT_PROF] : []),
      ],
    });
    child.send({
      url,
      ca,
      token,
      dir,
      agents: AGENTS,
      seconds: SECONDS,
      rate: Number(values.rate),
      resource: `luks2:${uuid}`,
      stanza: {
        keyId: key.body.keyId,
        version: 1,
        enc: Buffer.from(sealed.enc).toString('base64'),
        ciphertext: Buffer.from(sealed.ciphertext).toString('base64'),
      },
    });
    await once(child, 'message');
    const cpu0 = process.cpuUsage();
    const pg0 = database ? postgresCpuMs() : undefined;
    // How late the broker's event loop ran its callbacks: its own share of the latency.
    const loop = monitorEventLoopDelay({ resolution: 5 });
    loop.enable();
    child.send({ go: true });
    const [result] = (await once(child, 'message')) as [{ latencies: number[]; elapsed: number; cpuMs: number; loopDelayP99ms: number }];
    loop.disable();
    const cpu = process.cpuUsage(cpu0);
    const pg1 = pg0 === undefined ? undefined : postgresCpuMs();
    const latencies = result.latencies.sort((x, y) => x - y);
    const n = latencies.length;
    console.log(
      JSON.stringify({
        store: label,
        agents: AGENTS,
        offeredPerSecond: Number(values.rate) || 'closed loop',
        checkpointEvery: checkpoints.everyRecords,
        seconds: Number(result.elapsed.toFixed(2)),
        releases: n,
        perSecond: Math.round(n / result.elapsed),
        p50ms: Number(percentile(latencies, 50).toFixed(1)),
        p99ms: Number(percentile(latencies, 99).toFixed(1)),
        brokerCpuMsPerRelease: Number(((cpu.user + cpu.system) / 1000 / n).toFixed(2)),
        agentsCpuMsPerRelease: Number((result.cpuMs / n).toFixed(2)),
        ...(pg1 !== undefined ? { postgresCpuMsPerRelease: Number(((pg1 - pg0!) / n).toFixed(2)) } : {}),
        brokerLoopDelayP99ms: Number((loop.percentile(99) / 1e6).toFixed(1)),
        agentsLoopDelayP99ms: Number(result.loopDelayP99ms.toFixed(1)),
        brokerPeakRssMiB: Math.round(process.resourceUsage().maxRSS / 1024),
      }),
    );
  } finally {
    await broker.close();
    await rm(dir, { recursive: true, force: true });
  }
}

if (values.store === 'both') {
  await eachStoreInItsOwnProcess();
} else if (values.store === 'pglite') {
  await run(values['pglite-memory'] ? 'pglite (memory)' : 'pglite', values['pglite-memory'] ? 'pglite:memory' : undefined);
} else if (values.store === 'postgres') {
  // A server as production runs it: fsync and synchronous commit on (the tests turn them off).
  const pg = await startPostgres({ durable: true });
  if (!pg.server) console.log(JSON.stringify({ store: 'postgres', skipped: pg.reason }));
  else {
    try {
      await run('postgres', await pg.server.createDatabase('bench'));
    } finally {
      await pg.server.stop();
    }
  }
} else {
  console.error('--store is pglite, postgres or both');
  process.exit(2);
}
