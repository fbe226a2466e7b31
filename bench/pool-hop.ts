/**
 * What a thread-pool job costs beyond its work, on this machine:
 *   node --import tsx bench/pool-hop.ts [--rounds 3]
 *
 * XTS-256 over one buffer of 4 KiB sectors, in place, for sizes from 256 KiB to 16 MiB: the
 * addon's synchronous call on the main thread, one asynchronous job on the libuv pool (the
 * addon's own call), and the library's encryptSectorsAsync (split into one job per core from
 * 512 KiB), each awaited before the next, as a sequential caller does. What a job costs over
 * the synchronous call is the round trip to the pool: waking a pool thread, the data moving
 * to that thread's core, and waking the main thread when it is done. Where that costs as much
 * as the work, splitting a batch over the cores cannot pay; bench/README.md uses this to
 * explain the rows the async paths bound.
 *
 * Everything runs twice: with the other CPUs idle, and with a busy loop at nice 19 on each of
 * them (the pool thread then preempts a runnable task instead of waking an idle CPU). On a
 * virtual machine the difference is what waking a halted virtual CPU costs. Last, threads
 * that never sleep: 1 MiB calls in a loop for a second in one worker thread, then in one per
 * CPU, which shows whether the cores scale when nothing waits.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { Worker } from 'node:worker_threads';
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { availableParallelism, loadavg } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadNative } from '../src/backend/native.js';
import type { XtsKeyHandle } from '../src/backend/types.js';
import { arg, median } from './options.js';

const MIB = 1 << 20;
const rounds = Number(arg('rounds', '3'));

const status = loadNative();
if (!status.backend) throw new Error(`native backend unavailable: ${status.reason}`);
const kernel = status.backend.kernel;
const keyBytes = new Uint8Array(randomBytes(64));
// The addon's own key object: one call is one pool job (the backend's handle splits batches).
const addonDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const addon = createRequire(import.meta.url)('node-gyp-build')(addonDir) as { XtsKey: new (k: Uint8Array, kernel: string) => XtsKeyHandle };
const raw = new addon.XtsKey(keyBytes, kernel);
const split = status.backend.xtsKey(keyBytes);
const tweak = new Uint8Array(16);

/** Microseconds per call of `fn`, over about `ms` milliseconds. */
async function perCall(fn: () => unknown, ms: number): Promise<number> {
  for (let i = 0; i < 3; i++) await fn();
  let calls = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < ms) {
    await fn();
    calls++;
  }
  return ((performance.now() - t0) * 1000) / calls;
}

console.log(
  `kernel ${kernel}, node ${process.versions.node}, ${availableParallelism()} CPUs, load average ${loadavg()[0].toFixed(2)}; ` +
    `medians of ${rounds} rounds; XTS-256 in place, 4 KiB sectors`,
);
/** Busy loops at nice 19, one per CPU but this one's, until stopped. */
function keepCpusBusy(): ChildProcess[] {
  return Array.from({ length: availableParallelism() - 1 }, () =>
    spawn('nice', ['-n', '19', process.execPath, '-e', 'for (;;) {}'], { stdio: 'ignore' }),
  );
}

for (const busy of [false, true]) {
  const spinners = busy ? keepCpusBusy() : [];
  await new Promise((r) => setTimeout(r, 200));
  try {
    console.log(busy ? '\nthe other CPUs busy (a loop at nice 19 on each):' : 'the other CPUs idle:');
    console.log('size      sync (main thread)   one pool job (over sync)   split over the cores (over sync)');
    for (const bytes of [MIB / 4, MIB, 4 * MIB, 16 * MIB]) {
      const buf = new Uint8Array(bytes);
      const times: [number[], number[], number[]] = [[], [], []];
      for (let r = 0; r < rounds; r++) {
        times[0].push(await perCall(() => raw.encryptSectors(buf, buf, 4096, tweak, 1), 300));
        times[1].push(await perCall(() => raw.encryptSectorsAsync(buf, buf, 4096, tweak, 1), 300));
        times[2].push(await perCall(() => split.encryptSectorsAsync(buf, buf, 4096, tweak, 1), 300));
      }
      const [s, one, both] = times.map(median);
      const size = bytes >= MIB ? `${bytes / MIB} MiB` : `${bytes / 1024} KiB`;
      const cell = (t: number) => `${t.toFixed(0).padStart(6)} us (+${(t - s).toFixed(0)})`.padEnd(27);
      console.log(`${size.padEnd(9)} ${s.toFixed(0).padStart(8)} us          ${cell(one)}${cell(both).trimEnd()}`);
    }
  } finally {
    for (const p of spinners) p.kill();
  }
}
raw.destroy();
split.destroy();

/** GB/s of 1 MiB in-place calls for `ms` in each of `threads` worker threads, summed. */
async function workers(threads: number, ms: number): Promise<number> {
  const body = `
    const { parentPort, workerData } = require('node:worker_threads');
    const addon = require(workerData.nodeGypBuild)(workerData.dir);
    const key = new addon.XtsKey(new Uint8Array(workerData.key), workerData.kernel);
    const buf = new Uint8Array(1 << 20), tweak = new Uint8Array(16);
    let bytes = 0;
    const end = performance.now() + workerData.ms;
    while (performance.now() < end) { key.encryptSectors(buf, buf, 4096, tweak, 1); bytes += buf.length; }
    key.destroy();
    parentPort.postMessage(bytes);`;
  const nodeGypBuild = createRequire(import.meta.url).resolve('node-gyp-build');
  const t0 = performance.now();
  const done = await Promise.all(
    Array.from(
      { length: threads },
      () =>
        new Promise<number>((resolve, reject) => {
          const w = new Worker(body, { eval: true, workerData: { nodeGypBuild, dir: addonDir, key: [...keyBytes], kernel, ms } });
          w.once('message', resolve);
          w.once('error', reject);
        }),
    ),
  );
  return done.reduce((a, b) => a + b, 0) / ((performance.now() - t0) / 1000) / 1e9;
}

const one = await workers(1, 1000);
const all = await workers(availableParallelism(), 1000);
console.log(
  `\nthreads that never sleep (1 MiB calls for 1 s): one ${one.toFixed(1)} GB/s, ${availableParallelism()} ${all.toFixed(1)} GB/s (${(all / one).toFixed(2)}x)`,
);
