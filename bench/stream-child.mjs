// One measurement of bench/stream.ts, in plain JavaScript so that it can run on the compiled
// library (dist/) without tsx's loader thread in the process; the parent prints the table.
//   node bench/stream-child.mjs <raw|encrypt|decrypt|rss-encrypt|rss-decrypt|emit> <library path> <GiB> <piece KiB>
// rss-decrypt reads the ciphertext from stdin (the parent pipes it from an `emit` child), so
// no message is held in memory anywhere.
import { randomBytes } from 'node:crypto';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { pathToFileURL } from 'node:url';
import path from 'node:path';

const [mode, library, gib, pieceKib] = process.argv.slice(2);
const lib = await import(pathToFileURL(path.resolve(library)).href);
const MIB = 1024 ** 2;
const total = Number(gib) * 1024 ** 3;
const piece = Number(pieceKib) * 1024;
const key = new Uint8Array(randomBytes(16));

/** `total` bytes in pieces of `piece` bytes, all views of one random buffer. */
async function* source() {
  const block = randomBytes(piece);
  for (let done = 0; done < total; done += piece) yield block.subarray(0, Math.min(piece, total - done));
}

const sink = () => new Writable({ highWaterMark: 4 * MIB, write: (_chunk, _encoding, callback) => callback() });

async function timed(bytes, run) {
  const baseRssMiB = process.memoryUsage().rss / MIB;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const counted = (await run()) ?? bytes;
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  return { mode, bytes: counted, seconds, cpu: (cpu.user + cpu.system) / 1e6 / seconds, baseRssMiB, maxRssMiB: process.resourceUsage().maxRSS / 1024 };
}

function raw() {
  // AesGcm.seal of one 16 KiB message per call, for 3 seconds: the one-core reference.
  const gcm = new lib.AesGcm(key);
  const nonce = new Uint8Array(12);
  const chunk = new Uint8Array(randomBytes(16384));
  const out = new Uint8Array(16384 + 16);
  let calls = 0;
  const end = performance.now() + 3000;
  while (performance.now() < end) {
    for (let i = 0; i < 256; i++) gcm.seal(nonce, chunk, undefined, out);
    calls += 256;
  }
  return calls * 16384;
}

let result;
if (mode === 'raw') {
  result = await timed(0, raw);
} else if (mode === 'encrypt') {
  result = await timed(total, () => pipeline(Readable.from(source()), lib.createChunkedEncryptStream(key), sink()));
} else if (mode === 'decrypt') {
  // The ciphertext is made first, untimed; it sits in memory, so RSS here is not the stream's.
  const sealed = lib.encryptChunked(key, randomBytes(total));
  async function* pieces() {
    for (let i = 0; i < sealed.length; i += piece) yield sealed.subarray(i, i + piece);
  }
  result = await timed(total, () => pipeline(Readable.from(pieces()), lib.createChunkedDecryptStream(key), sink()));
} else if (mode === 'rss-encrypt') {
  result = await timed(total, () => pipeline(Readable.from(source()), lib.createChunkedEncryptStream(key), sink()));
} else if (mode === 'emit') {
  // Ciphertext to stdout for rss-decrypt, under a fixed key.
  await pipeline(Readable.from(source()), lib.createChunkedEncryptStream(new Uint8Array(16)), process.stdout);
} else {
  result = await timed(total, () => pipeline(process.stdin, lib.createChunkedDecryptStream(new Uint8Array(16)), sink()));
}
if (result) process.stdout.write(JSON.stringify(result));
