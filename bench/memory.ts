/**
 * Speed and peak memory of every call as users write it:
 *   npm run bench:memory -- [--seconds 2] [--rounds 2] [--stream-mib 2048] [--only calls|streams]
 *
 * Each case runs in its own process (bench/memory-child.mjs, on dist/), so its peak RSS is
 * its own. Calls: a tight synchronous loop with a reused `out` against the same loop without
 * `out` (the library allocates each result); both forms alternate, --rounds times, best
 * rate of each; "ring" is the loop with `out` taken in turn from 64 MiB of mapped arrays
 * (cache-cold like collected results, but never allocated): what the cache alone costs.
 * Streams: a 2 GiB Cobblestone encrypt, a decrypt piped from another
 * process, 16 concurrent 256 MiB encrypt streams, and the same pipeline with a PassThrough
 * or node:crypto's aes-256-gcm in place of the cipher.
 *
 * "MB/s" is wall-clock; "MB/cpu-s" divides by the CPU time of all the process's threads
 * (garbage collector included), which a machine shared with other work disturbs less.
 * Ratios are given on both.
 */
import { execFileSync } from 'node:child_process';
import { availableParallelism, loadavg } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseSpeed } from '../src/bench/openssl.js';
import { arg } from './options.js';

interface Result {
  bytes: number;
  seconds: number;
  cpu: number;
  maxRssMiB: number;
}

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.join(here, '..');
const library = path.join(root, 'dist', 'index.js');
const child = path.join(here, 'memory-child.mjs');

const seconds = Number(arg('seconds', '2'));
const rounds = Number(arg('rounds', '2'));
const streamMib = Number(arg('stream-mib', '2048'));
const only = arg('only', 'all');

function run(args: string[], pipeFrom?: string[]): Result {
  const quote = (a: string[]) => [process.execPath, child, library, ...a].map((x) => JSON.stringify(x)).join(' ');
  const command = pipeFrom ? `${quote(pipeFrom)} | ${quote(args)}` : quote(args);
  return JSON.parse(execFileSync('bash', ['-o', 'pipefail', '-c', command], { encoding: 'utf8', cwd: root })) as Result;
}

const wall = (r: Result) => r.bytes / 1e6 / r.seconds;
const perCpu = (r: Result) => r.bytes / 1e6 / (r.seconds * r.cpu);
const mb = (x: number) => `${x.toFixed(0).padStart(6)}`;
const pct = (x: number) => `${(100 * x).toFixed(0).padStart(4)}%`;

/** Best of `rounds` runs of each form, alternating so that load hits both alike. */
function triple(op: string, bytes: number, sectorSize: number): { out: Result; alloc: Result; ring: Result; rss: number } {
  const best: Record<string, Result> = {};
  let rss = 0;
  for (let r = 0; r < rounds; r++) {
    for (const form of ['out', 'alloc', 'ring']) {
      const result = run(['call', op, form, String(bytes), String(sectorSize), String(seconds)]);
      if (!best[form] || perCpu(result) > perCpu(best[form])) best[form] = result;
      if (form === 'alloc') rss = Math.max(rss, result.maxRssMiB);
    }
  }
  return { out: best.out, alloc: best.alloc, ring: best.ring, rss };
}

function size(bytes: number): string {
  return bytes >= 1024 * 1024 ? `${bytes / 1024 / 1024} MiB` : `${bytes / 1024} KiB`;
}

function calls(): void {
  const KIB = 1024;
  const MIB = 1024 * 1024;
  const cases: [string, number, number][] = [];
  for (const op of ['encryptSectors', 'decryptSectors']) {
    for (const sector of [512, 4096]) for (const bytes of [256 * KIB, MIB, 16 * MIB]) cases.push([op, bytes, sector]);
  }
  for (const op of ['seal', 'open']) for (const bytes of [16 * KIB, MIB]) cases.push([op, bytes, 0]);
  for (const op of ['sealChunks', 'openChunks', 'encryptChunked', 'decryptChunked']) cases.push([op, MIB, 0]);
  console.log(
    'call              sector   batch      out MB/s  alloc MB/s  ratio   out MB/cpu-s  alloc MB/cpu-s  ratio   ring ratio   alloc peak RSS',
  );
  const openssl = opensslGcm16k();
  for (const [op, bytes, sector] of cases) {
    const { out, alloc, ring, rss } = triple(op, bytes, sector);
    if (op === 'seal' && bytes === 16 * KIB && openssl !== undefined) {
      console.log(
        `# openssl speed -evp aes-256-gcm -bytes 16384: ${openssl.toFixed(0)} MB/s; seal 16 KiB without out: ${(wall(alloc) / openssl).toFixed(2)}x`,
      );
    }
    console.log(
      `${op.padEnd(17)} ${(sector ? `${sector} B` : '').padEnd(8)} ${size(bytes).padEnd(9)} ${mb(wall(out))}     ${mb(wall(alloc))}     ${pct(wall(alloc) / wall(out))}   ${mb(perCpu(out))}         ${mb(perCpu(alloc))}          ${pct(perCpu(alloc) / perCpu(out))}   ${pct(perCpu(ring) / perCpu(out))}        ${rss.toFixed(0).padStart(5)} MiB`,
    );
  }
}

/** `openssl speed -evp aes-256-gcm` at 16 KiB (its own buffer, reused), MB/s; undefined without openssl. */
function opensslGcm16k(): number | undefined {
  try {
    const out = execFileSync(
      'openssl',
      ['speed', '-evp', 'aes-256-gcm', '-bytes', '16384', '-seconds', String(Math.max(1, Math.round(seconds)))],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] },
    );
    return parseSpeed(out);
  } catch {
    return undefined;
  }
}

function streams(): void {
  const rows: [string, Result][] = [
    ['encrypt 1 x ' + streamMib + ' MiB', run(['stream', 'encrypt', String(streamMib), '1'])],
    ['decrypt 1 x ' + streamMib + ' MiB (piped)', run(['stream', 'decrypt', String(streamMib), '1'], ['emit', String(streamMib)])],
    ['passthrough 1 x ' + streamMib + ' MiB', run(['stream', 'passthrough', String(streamMib), '1'])],
    ['node aes-256-gcm 1 x ' + streamMib + ' MiB', run(['stream', 'node-gcm', String(streamMib), '1'])],
    ['encrypt 16 x 256 MiB', run(['stream', 'encrypt', '256', '16'])],
    ['passthrough 16 x 256 MiB', run(['stream', 'passthrough', '256', '16'])],
  ];
  const pass = wall(rows[2][1]);
  console.log('stream                               MB/s   of PassThrough   cpu    peak RSS');
  for (const [name, r] of rows) {
    console.log(
      `${name.padEnd(34)} ${mb(wall(r))}   ${pct(wall(r) / pass)}            ${(100 * r.cpu).toFixed(0).padStart(3)}%   ${r.maxRssMiB.toFixed(0).padStart(5)} MiB`,
    );
  }
}

console.log(
  `node ${process.version}, ${availableParallelism()} CPUs, load average ${loadavg()[0].toFixed(2)} at start; ${seconds} s per run, best of ${rounds}`,
);
if (only !== 'streams') calls();
if (only !== 'calls') streams();
console.log(`load average ${loadavg()[0].toFixed(2)} at the end`);
