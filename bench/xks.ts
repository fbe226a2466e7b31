/**
 * `npm run bench:xks`: the broker as an AWS KMS XKS proxy under a KMS-like load. Client
 * connections (HTTPS keep-alive, loopback) send SigV4-signed Encrypt and Decrypt calls in a
 * closed loop, each call through the whole path (SigV4, the keystore and key read, the policy,
 * AES-256-GCM with the CDIV check, the audit record committed before the answer), on PGlite
 * and on PostgreSQL (started in a temp folder, fsync on, when its binaries are present).
 *
 *   node --import tsx bench/xks.ts [--connections 16] [--seconds 5] [--store pglite|postgres|both]
 *                                  [--decrypt-share 0.5]
 *
 * The clients run in a child process (bench/xks-client.ts), as KMS would on other machines.
 * Their requests are signed with the AWS SDK's signer (@smithy/signature-v4) before the clock
 * starts (SigV4 has no nonce; a signature holds for 5 minutes), so the clients' CPU goes to
 * TLS and HTTP, not to signing. Prints calls per second, p50/p99 latency, the broker's CPU time
 * per call (all its threads), PostgreSQL's (its processes, from /proc), and the broker's
 * event-loop delay and peak RSS.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { Broker } from '../src/broker/index.js';
import { eachStoreInItsOwnProcess, percentile, postgresCpuMs } from './broker-runs.js';
import { Client, makeTenant } from '../test/broker/helpers.js';
import { startPostgres } from '../test/broker/postgres-server.js';

const { values } = parseArgs({
  options: {
    connections: { type: 'string', default: '16' },
    seconds: { type: 'string', default: '5' },
    store: { type: 'string', default: 'both' },
    'decrypt-share': { type: 'string', default: '0.5' },
  },
});

async function run(label: string, database: string | undefined): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'sc-bench-xks-'));
  const { broker, operatorToken, caFile } = await Broker.create({ dataDir: join(dir, 'data'), ...(database ? { database } : {}) });
  try {
    const url = await broker.listen({ host: '127.0.0.1', port: 0 });
    const ca = await readFile(caFile, 'utf8');
    const client = new Client(url, ca);
    const t = await makeTenant({ client, operatorToken });
    const store = (await client.call('POST', '/v1/xks/keystores', { token: t.admin, body: { name: 'bench' } })).body;
    const key = (
      await client.call('POST', '/v1/keys', { token: t.admin, body: { name: 'bench', type: 'aes256', usage: ['ENCRYPT', 'DECRYPT'] } })
    ).body;
    // A policy as a customer would write one: the caller's account, the service, the operations.
    await client.call('PUT', '/v1/policies/bench', {
      token: t.admin,
      body: {
        keys: [key.keyId],
        xks: { keystores: [store.keystoreId] },
        rules: {
          allOf: [
            { claim: 'xks.awsPrincipalArn', matches: 'arn:aws:iam::123456789012:.*' },
            { claim: 'xks.kmsViaService', in: ['s3', 'ebs'] },
          ],
        },
        approval: { mode: 'auto' },
      },
    });
    client.close();
    const child = fork(join(import.meta.dirname, 'xks-client.ts'), [], { execArgv: ['--import', 'tsx'] });
    child.send({
      base: `${url}${store.uriPath}/keys/${key.keyId}`,
      ca,
      credential: { accessKeyId: store.accessKeyId, secretAccessKey: store.secretAccessKey },
      connections: Number(values.connections),
      seconds: Number(values.seconds),
      decryptShare: Number(values['decrypt-share']),
    });
    await once(child, 'message');
    const cpu0 = process.cpuUsage();
    const pg0 = database ? postgresCpuMs() : undefined;
    const loop = monitorEventLoopDelay({ resolution: 5 });
    loop.enable();
    child.send({ go: true });
    const [result] = (await once(child, 'message')) as [
      { latencies: number[]; elapsed: number; errors: Record<string, number>; cpuMs: number },
    ];
    loop.disable();
    const cpu = process.cpuUsage(cpu0);
    const pg1 = pg0 === undefined ? undefined : postgresCpuMs();
    const latencies = result.latencies.sort((x, y) => x - y);
    const n = latencies.length;
    await broker.checkpointsSettled();
    console.log(
      JSON.stringify({
        store: label,
        connections: Number(values.connections),
        decryptShare: Number(values['decrypt-share']),
        seconds: Number(result.elapsed.toFixed(2)),
        calls: n,
        errors: result.errors,
        perSecond: Math.round(n / result.elapsed),
        p50ms: Number(percentile(latencies, 50).toFixed(1)),
        p99ms: Number(percentile(latencies, 99).toFixed(1)),
        brokerCpuMsPerCall: Number(((cpu.user + cpu.system) / 1000 / n).toFixed(3)),
        clientsCpuMsPerCall: Number((result.cpuMs / n).toFixed(3)),
        ...(pg1 !== undefined ? { postgresCpuMsPerCall: Number(((pg1 - pg0!) / n).toFixed(3)) } : {}),
        brokerLoopDelayP99ms: Number((loop.percentile(99) / 1e6).toFixed(1)),
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
  await run('pglite', undefined);
} else if (values.store === 'postgres') {
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
