/**
 * Cobblestone stream throughput and memory:
 *   node --import tsx bench/stream.ts [--gib 1] [--rss-gib 2] [--piece-kib 1024] [--dist]
 *
 * Each measurement runs in its own child process (bench/stream-child.mjs), so that its
 * maxRSS is its own:
 * - raw:     AesGcm.seal of 16 KiB messages in a loop, one core (the reference rate);
 * - encrypt: a --gib GiB stream through createChunkedEncryptStream into a sink;
 * - decrypt: a --gib GiB ciphertext (made beforehand, untimed, in memory) through
 *            createChunkedDecryptStream;
 * - rss-encrypt: --rss-gib GiB through createChunkedEncryptStream: peak RSS;
 * - rss-decrypt: --rss-gib GiB of ciphertext piped in from another process through
 *            createChunkedDecryptStream: peak RSS.
 * Input comes in pieces of --piece-kib KiB (fs streams give 64). CPU is (user + system) /
 * wall time: 100% is one core. --dist measures the compiled library (npm run build:ts)
 * in plain node; otherwise the sources run through tsx, whose loader thread adds RSS.
 */
import { execFileSync } from 'node:child_process';
import { availableParallelism, loadavg } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { backendInfo } from '../src/index.js';

interface Result {
  mode: string;
  bytes: number;
  seconds: number;
  cpu: number;
  baseRssMiB: number;
  maxRssMiB: number;
}

const MIB = 1024 ** 2;
const GIB = 1024 ** 3;
const here = path.dirname(fileURLToPath(import.meta.url));

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

const dist = process.argv.includes('--dist');
const library = dist ? path.join(here, '..', 'dist', 'index.js') : path.join(here, '..', 'src', 'index.ts');
const nodeArgs = dist ? [] : ['--import', 'tsx'];
const piece = arg('piece-kib', 1024);

function child(mode: string, gib: number): string {
  return [process.execPath, ...nodeArgs, path.join(here, 'stream-child.mjs'), mode, library, String(gib), String(piece)]
    .map((a) => JSON.stringify(a))
    .join(' ');
}

function run(mode: string, gib: number): Result {
  // rss-decrypt gets its ciphertext through a pipe from an encrypting process.
  const command = mode === 'rss-decrypt' ? `${child('emit', gib)} | ${child(mode, gib)}` : child(mode, gib);
  const out = execFileSync('bash', ['-o', 'pipefail', '-c', command], { encoding: 'utf8', cwd: path.join(here, '..') });
  return JSON.parse(out) as Result;
}

const gib = arg('gib', 1);
const rssGib = arg('rss-gib', 2);
const results = [run('raw', 0), run('encrypt', gib), run('decrypt', gib), run('rss-encrypt', rssGib), run('rss-decrypt', rssGib)];
const rate = (r: Result) => r.bytes / MIB / r.seconds;
const raw = rate(results[0]);
const info = backendInfo();
console.log(
  `${dist ? 'dist/' : 'src/ (tsx)'}; backend ${info.backend}, kernel ${info.kernel}; ${availableParallelism()} CPUs, load average ${loadavg()[0].toFixed(2)}; input pieces of ${piece} KiB`,
);
for (const r of results) {
  const share = r.mode === 'raw' ? '' : `${((100 * rate(r)) / raw).toFixed(0)}% of raw`;
  console.log(
    `${r.mode.padEnd(11)} ${(r.bytes / GIB).toFixed(2).padStart(6)} GiB ${rate(r).toFixed(0).padStart(6)} MiB/s ${share.padEnd(12)} cpu ${(100 * r.cpu).toFixed(0).padStart(3)}%  RSS ${r.baseRssMiB.toFixed(0)} MiB before, ${r.maxRssMiB.toFixed(0)} MiB peak`,
  );
}
