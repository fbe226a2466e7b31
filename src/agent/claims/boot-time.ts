/** identity.bootTime: when the kernel booted, from the `btime` line of /proc/stat. */
import { readFile } from 'node:fs/promises';
import { reasonOf, type Collector } from './types.js';

/** RFC 3339 (UTC, whole seconds) from the `btime` seconds of a /proc/stat text. */
export function parseBootTime(procStat: string): string | undefined {
  const match = /^btime\s+(\d+)\s*$/m.exec(procStat);
  if (!match) return undefined;
  return new Date(Number(match[1]) * 1000).toISOString().replace('.000Z', 'Z');
}

export function bootTimeCollector(path = '/proc/stat'): Collector {
  return {
    name: 'bootTime',
    sources: [{ claim: 'identity.bootTime', source: `${path} btime`, trust: 'agent' }],
    async collect() {
      let text: string;
      try {
        text = await readFile(path, 'utf8');
      } catch (err) {
        return { unavailable: `cannot read ${path}: ${reasonOf(err)}` };
      }
      const bootTime = parseBootTime(text);
      return bootTime ? { claims: { 'identity.bootTime': bootTime } } : { unavailable: `no btime line in ${path}` };
    },
  };
}
