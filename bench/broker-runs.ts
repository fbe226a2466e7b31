/** What the broker benches (broker.ts, xks.ts) share: PostgreSQL's CPU, percentiles, one process per store. */
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { readdirSync, readFileSync } from 'node:fs';

/** CPU time so far of every process named `postgres`, from /proc (undefined without /proc). */
export function postgresCpuMs(): number | undefined {
  let ticks = 0;
  try {
    for (const pid of readdirSync('/proc')) {
      if (!/^\d+$/.test(pid)) continue;
      let stat: string;
      try {
        stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      } catch {
        continue; // gone meanwhile
      }
      const close = stat.lastIndexOf(')');
      if (stat.slice(stat.indexOf('(') + 1, close) !== 'postgres') continue;
      const fields = stat.slice(close + 2).split(' ');
      ticks += Number(fields[11]) + Number(fields[12]); // utime, stime (proc(5) fields 14, 15)
    }
  } catch {
    return undefined;
  }
  return ticks * 10; // USER_HZ is 100 on Linux
}

export function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

/**
 * `--store both`: this script again, once per store, each in a fresh process: the second run
 * would otherwise inherit the first one's heap, and PGlite's gigabyte of WebAssembly memory.
 */
export async function eachStoreInItsOwnProcess(): Promise<void> {
  const args = process.argv.slice(2).filter((a, i, all) => a !== '--store' && all[i - 1] !== '--store' && !a.startsWith('--store='));
  for (const store of ['pglite', 'postgres']) {
    const child = fork(process.argv[1]!, [...args, '--store', store], { execArgv: process.execArgv, stdio: 'inherit' });
    const [code] = (await once(child, 'exit')) as [number | null];
    if (code !== 0) process.exit(code ?? 1);
  }
}
