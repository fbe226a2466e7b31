/**
 * The data path against its references, each ratio measured within one run:
 *   node --import tsx bench/datapath.ts [--rounds 5] [--seconds 0.5] [--only kernels,seal,streams,rss] [--stream-mib 512]
 *
 * Every row alternates the reference and ours, round after round, in the same process
 * (the RSS row excepted: a process of its own, so that its peak is its own), takes the
 * ratio of each round, and prints the median ratio with the median rates. The machine
 * this was written for is shared with other jobs, so single rates move; the ratios of
 * neighbouring measurements move much less.
 *
 * - kernels: the default kernel's AES-256 ceiling (the calibration kernel of
 *   `sectorcrypt bench`) against XTS-256 over 1 MiB of 4 KiB sectors in place and
 *   AES-256-GCM seal of one 1 MiB message in place.
 * - seal: AesGcm.seal of 16 KiB without `out` against the same call in place, and against
 *   `openssl speed -evp aes-256-gcm -bytes 16384` (run in turn with ours).
 * - streams: a Cobblestone-256 decrypt stream against a PassThrough on the same ciphertext
 *   pieces (sizes drawn from 1 to 128 KiB, each copied into a fresh Buffer, as a file or
 *   socket read gives them); an encrypt stream
 *   (1 MiB pieces) against raw `seal` of 16 KiB messages with `out` on one core.
 * - rss: peak RSS of a 2 GiB encrypt stream fed fresh 1 MiB Buffers (bench/memory-child.mjs,
 *   on dist/: run `npm run build:ts` first).
 */
import { execFile, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { availableParallelism, loadavg } from 'node:os';
import path from 'node:path';
import { PassThrough, Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { loadNative } from '../src/backend/native.js';
import { AesGcm, backendInfo, createChunkedDecryptStream, createChunkedEncryptStream, encryptChunked, XtsCipher } from '../src/index.js';
import { parseSpeed } from '../src/bench/openssl.js';
import { arg, median } from './options.js';

const MIB = 1 << 20;
const rounds = Number(arg('rounds', '5'));
const seconds = Number(arg('seconds', '0.5'));
const only = arg('only', 'kernels,seal,streams,rss').split(',');
const streamMib = Number(arg('stream-mib', '512'));
const here = path.dirname(fileURLToPath(import.meta.url));

/** MB/s of fn (bytes per call) run for `seconds`. */
function rate(fn: () => unknown, bytes: number, secs = seconds): number {
  for (let i = 0; i < 3; i++) fn();
  let calls = 0;
  const t0 = performance.now();
  const end = t0 + secs * 1000;
  let now = t0;
  while (now < end) {
    for (let i = 0; i < 16; i++) fn();
    calls += 16;
    now = performance.now();
  }
  return (calls * bytes) / ((now - t0) / 1000) / 1e6;
}

/** Runs the measurements in turn, `rounds` times; prints median rates and median ratios to the first. */
async function compare(title: string, cases: [string, () => number | Promise<number>][]): Promise<void> {
  const rates = cases.map(() => [] as number[]);
  for (let r = 0; r < rounds; r++) {
    for (let i = 0; i < cases.length; i++) rates[i].push(await cases[i][1]());
  }
  console.log(`${title}`);
  for (let i = 0; i < cases.length; i++) {
    const ratios = rates[i].map((v, r) => v / rates[0][r]);
    const share =
      i === 0
        ? '(reference)'
        : `${(median(ratios) * 100).toFixed(0).padStart(4)}% of it (rounds: ${ratios.map((x) => (x * 100).toFixed(0)).join(' ')})`;
    console.log(`  ${cases[i][0].padEnd(44)} ${median(rates[i]).toFixed(0).padStart(7)} MB/s  ${share}`);
  }
}

const kernel = backendInfo().kernel ?? 'portable';
console.log(
  `backend ${backendInfo().backend} (${kernel}), node ${process.versions.node}, ${availableParallelism()} CPUs, load average ${loadavg()[0].toFixed(2)}; ` +
    `${rounds} rounds of ${seconds} s, medians`,
);

if (only.includes('kernels')) {
  const ceiling = loadNative().aesCeiling!;
  const done = ceiling(kernel, 256, MIB);
  const xts = new XtsCipher(randomBytes(64), { sectorSize: 4096 });
  const gcm = new AesGcm(randomBytes(32));
  const data = new Uint8Array(randomBytes(MIB + 16));
  const nonce = new Uint8Array(12);
  const message = data.subarray(0, MIB);
  const sealed = gcm.seal(nonce, message);
  const opened = new Uint8Array(MIB);
  await compare(`AES-256, 1 MiB per call, in place, kernel ${kernel}`, [
    ['AES-256 ceiling (8 register chains, no memory)', () => rate(() => ceiling(kernel, 256, MIB), done)],
    ['XTS-256 encrypt, 4 KiB sectors', () => rate(() => xts.encryptSectors(message, 0, message), MIB)],
    ['XTS-256 decrypt, 4 KiB sectors', () => rate(() => xts.decryptSectors(message, 0, message), MIB)],
    ['GCM-256 seal', () => rate(() => gcm.seal(nonce, message, undefined, data), MIB)],
    ['GCM-256 open (into another 1 MiB buffer)', () => rate(() => gcm.open(nonce, sealed, undefined, opened), MIB)],
  ]);
  xts.destroy();
  gcm.destroy();
}

if (only.includes('seal')) {
  const gcm = new AesGcm(randomBytes(32));
  const nonce = new Uint8Array(12);
  const message = new Uint8Array(randomBytes(16384));
  const inPlace = new Uint8Array(16384 + 16);
  const sealed = gcm.seal(nonce, message);
  const opened = new Uint8Array(16384);
  await compare('AES-256-GCM, 16 KiB messages', [
    ['seal in place (out = the message buffer)', () => rate(() => gcm.seal(nonce, inPlace.subarray(0, 16384), undefined, inPlace), 16384)],
    ['seal without out', () => rate(() => gcm.seal(nonce, message), 16384)],
    ['open with out', () => rate(() => gcm.open(nonce, sealed, undefined, opened), 16384)],
    ['open without out', () => rate(() => gcm.open(nonce, sealed), 16384)],
  ]);
  const run = promisify(execFile);
  const openssl = async () => {
    const { stdout } = await run('openssl', ['speed', '-evp', 'aes-256-gcm', '-bytes', '16384', '-seconds', '1']);
    return parseSpeed(stdout) ?? NaN;
  };
  try {
    await openssl();
    await compare('AES-256-GCM seal of 16 KiB against openssl speed (one process, one core, no allocation)', [
      ['openssl speed -evp aes-256-gcm -bytes 16384', openssl],
      ['AesGcm.seal without out', () => rate(() => gcm.seal(nonce, message), 16384, 1)],
      ['AesGcm.seal in place', () => rate(() => gcm.seal(nonce, inPlace.subarray(0, 16384), undefined, inPlace), 16384, 1)],
    ]);
  } catch {
    console.log('  (no openssl binary: openssl speed row skipped)');
  }
  gcm.destroy();
}

const sink = () => new Writable({ highWaterMark: 4 * MIB, write: (_chunk, _encoding, callback) => callback() });

if (only.includes('streams')) {
  const key = new Uint8Array(randomBytes(32));
  const total = streamMib * MIB;
  const sealed = encryptChunked(key, randomBytes(total));
  // Piece sizes from 1 to 128 KiB, the same sequence for both pipelines.
  const sizes: number[] = [];
  for (let at = 0, x = 12345; at < sealed.length;) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    const n = Math.min(1024 + (x % (127 * 1024)), sealed.length - at);
    sizes.push(n);
    at += n;
  }
  // Each piece a fresh Buffer the bytes are copied into, as a file or socket read gives them.
  function* pieces() {
    for (let at = 0, i = 0; i < sizes.length; at += sizes[i++]) {
      const piece = Buffer.allocUnsafe(sizes[i]);
      piece.set(sealed.subarray(at, at + sizes[i]));
      yield piece;
    }
  }
  const timed = async (make: () => NodeJS.ReadWriteStream) => {
    const t0 = performance.now();
    await pipeline(Readable.from(pieces()), make(), sink());
    return sealed.length / ((performance.now() - t0) / 1000) / 1e6;
  };
  await compare(`Cobblestone-256 decrypt stream, ${streamMib} MiB of ciphertext in pieces of 1-128 KiB (MB/s of ciphertext)`, [
    ['PassThrough pipeline, same pieces', () => timed(() => new PassThrough())],
    ['createChunkedDecryptStream', () => timed(() => createChunkedDecryptStream(key))],
  ]);

  const block = randomBytes(MIB);
  function* plain() {
    for (let done = 0; done < total; done += MIB) yield block;
  }
  const gcm = new AesGcm(key);
  const nonce = new Uint8Array(12);
  const msg = new Uint8Array(randomBytes(16384));
  const out = new Uint8Array(16384 + 16);
  await compare(`Cobblestone-256 encrypt stream, ${streamMib} MiB in 1 MiB pieces, against raw seal of 16 KiB (with out, one core)`, [
    ['AesGcm.seal 16 KiB with out, in a loop', () => rate(() => gcm.seal(nonce, msg, undefined, out), 16384, 1)],
    [
      'createChunkedEncryptStream',
      async () => {
        const t0 = performance.now();
        await pipeline(Readable.from(plain()), createChunkedEncryptStream(key), sink());
        return total / ((performance.now() - t0) / 1000) / 1e6;
      },
    ],
  ]);
  gcm.destroy();
}

if (only.includes('rss')) {
  // bench/memory-child.mjs on dist/: fresh 1 MiB Buffers through a 2 GiB encrypt stream.
  const library = path.join(here, '..', 'dist', 'index.js');
  const peaks: number[] = [];
  const speeds: number[] = [];
  for (let r = 0; r < Math.min(rounds, 3); r++) {
    const out = execFileSync(process.execPath, [path.join(here, 'memory-child.mjs'), library, 'stream', 'encrypt', '2048', '1'], {
      encoding: 'utf8',
    });
    const result = JSON.parse(out) as { bytes: number; seconds: number; maxRssMiB: number };
    peaks.push(result.maxRssMiB);
    speeds.push(result.bytes / result.seconds / 1e6);
  }
  console.log('Cobblestone-256 encrypt stream, 2 GiB of fresh 1 MiB Buffers (dist/, a process per run)');
  console.log(
    `  peak RSS ${peaks.map((p) => p.toFixed(0)).join(', ')} MiB (median ${median(peaks).toFixed(0)}); ${median(speeds).toFixed(0)} MB/s`,
  );
}
