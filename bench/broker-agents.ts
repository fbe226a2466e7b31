/**
 * The agents' side of `npm run bench:broker`, in a process of its own (as agents on other
 * machines would be), so that the broker's process is charged only with its own work.
 * The parent sends one message { url, ca, token, agents, seconds, stanza, resource }; this
 * process enrolls the agents, warms up, runs the loop and answers with the latencies.
 */
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { BrokerAgent } from '../src/agent/index.js';

interface Job {
  url: string;
  ca: string;
  token: string;
  dir: string;
  agents: number;
  seconds: number;
  /** Releases per second offered by all agents together; 0: each agent asks again at once. */
  rate: number;
  stanza: { keyId: string; version: number; enc: string; ciphertext: string };
  resource: string;
}

process.once('message', async (job: Job) => {
  const claims = { identity: { region: 'eu-west-1' }, integrity: { firewall: true } };
  const agents: BrokerAgent[] = [];
  for (let i = 0; i < job.agents; i++) {
    const stateDir = join(job.dir, `agent-${i}`);
    (await BrokerAgent.enroll({ url: job.url, ca: job.ca, token: job.token, stateDir, device: { name: `bench-${i}` } })).close();
    agents.push(await BrokerAgent.load({ stateDir, claims }));
  }
  const stanza = {
    keyId: job.stanza.keyId,
    version: job.stanza.version,
    enc: new Uint8Array(Buffer.from(job.stanza.enc, 'base64')),
    ciphertext: new Uint8Array(Buffer.from(job.stanza.ciphertext, 'base64')),
  };
  const once = async (a: BrokerAgent) => (await a.unwrap(stanza, { resource: job.resource })).fill(0);
  // Warm up: connections, JIT, the database's caches.
  for (let round = 0; round < 3; round++) await Promise.all(agents.map(once));

  process.send!({ ready: true });
  await new Promise((resolve) => process.once('message', resolve));
  const latencies: number[] = [];
  const loop = monitorEventLoopDelay({ resolution: 5 });
  loop.enable();
  const cpu0 = process.cpuUsage();
  const started = performance.now();
  const end = started + job.seconds * 1000;
  // With a rate, each agent keeps its own schedule and a latency counts from the time the
  // request was due, not from when it was sent (no coordinated omission).
  const interval = job.rate > 0 ? (1000 * job.agents) / job.rate : 0;
  await Promise.all(
    agents.map(async (a, i) => {
      let due = started + (interval * i) / job.agents;
      while (due < end) {
        const wait = due - performance.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        const t0 = interval ? due : performance.now();
        await once(a);
        const t1 = performance.now();
        latencies.push(t1 - t0);
        due = interval ? due + interval : t1;
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpu0);
  loop.disable();
  for (const a of agents) a.close();
  process.send!(
    { latencies, elapsed, cpuMs: (cpu.user + cpu.system) / 1000, loopDelayP99ms: loop.percentile(99) / 1e6 },
    undefined,
    {},
    () => process.exit(0),
  );
});
