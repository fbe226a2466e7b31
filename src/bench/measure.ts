/** Times one operation with tinybench and reports its median rate. */
import { Bench } from 'tinybench';

export interface Rate {
  /** Megabytes (10^6 bytes) per second at the median latency. */
  mbps: number;
  /** Samples behind the median. */
  samples: number;
}

export async function measure(fn: () => unknown, bytesPerCall: number, seconds: number): Promise<Rate> {
  const bench = new Bench({ time: seconds * 1000, warmupTime: Math.min(200, seconds * 250), warmupIterations: 2, iterations: 3 });
  bench.add('op', fn);
  await bench.run();
  const result = bench.tasks[0].result;
  if (!('latency' in result)) throw new Error(`benchmark failed: ${'error' in result ? String(result.error) : result.state}`);
  const medianMs = result.latency.p50;
  return { mbps: bytesPerCall / (medianMs / 1000) / 1e6, samples: result.latency.samplesCount };
}

export async function measureAsync(fn: () => Promise<unknown>, bytesPerCall: number, seconds: number): Promise<Rate> {
  return measure(fn, bytesPerCall, seconds);
}
