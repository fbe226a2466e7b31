// One measurement of bench/memory.ts, in plain JavaScript on the compiled library (dist/),
// one per process so that its peak RSS is its own; prints one JSON object.
//   node bench/memory-child.mjs <library> call <op> <out|alloc|ring> <bytes> <sectorSize> <seconds>
//   node bench/memory-child.mjs <library> stream <encrypt|decrypt|passthrough|node-gcm> <MiB> <streams>
//   node bench/memory-child.mjs <library> emit <MiB>      (ciphertext to stdout, for `stream decrypt`)
// `call` runs one call in a tight synchronous loop: with a reused `out`, without (the
// library allocates every result), or with `out` from a ring of mapped arrays. `stream` pushes a fresh 1 MiB Buffer per chunk (as a
// file or socket source does) through the stream into a sink that drops it; decrypt reads
// its ciphertext from stdin.
import { createCipheriv, randomBytes, randomFillSync } from 'node:crypto';
import { PassThrough, Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { pathToFileURL } from 'node:url';
import path from 'node:path';
import { readFileSync } from 'node:fs';

const [library, kind, ...args] = process.argv.slice(2);
const lib = await import(pathToFileURL(path.resolve(library)).href);
const MIB = 1024 * 1024;

/**
 * Peak RSS of this process, MiB: VmHWM, which starts afresh at exec. getrusage's maxRSS
 * (process.resourceUsage) keeps the high-water mark of the process that spawned us, so a
 * big parent would show as this child's peak.
 */
function peakRssMiB() {
  try {
    const hwm = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync('/proc/self/status', 'utf8'));
    if (hwm) return Number(hwm[1]) / 1024;
  } catch {}
  return process.resourceUsage().maxRSS / 1024;
}

function report(bytes, seconds, cpu, extra = {}) {
  const result = { bytes, seconds, cpu: (cpu.user + cpu.system) / 1e6 / seconds, maxRssMiB: peakRssMiB(), ...extra };
  process.stdout.write(JSON.stringify(result));
}

/** The call under test as a function of the reused `out` (undefined: the library allocates). */
function callCase(op, bytes, sectorSize) {
  const key = new Uint8Array(randomBytes(64));
  const data = new Uint8Array(randomBytes(bytes));
  const nonce = new Uint8Array(12);
  const chunk = 16384;
  if (op === 'encryptSectors' || op === 'decryptSectors') {
    const xts = new lib.XtsCipher(key, { sectorSize });
    return { run: (out) => xts[op](data, 0, out), outBytes: bytes };
  }
  const gcm = new lib.AesGcm(key.subarray(0, 32));
  switch (op) {
    case 'seal':
      return { run: (out) => gcm.seal(nonce, data, undefined, out), outBytes: bytes + 16 };
    case 'open': {
      const sealed = gcm.seal(nonce, data);
      return { run: (out) => gcm.open(nonce, sealed, undefined, out), outBytes: bytes };
    }
    case 'sealChunks':
      return { run: (out) => gcm.sealChunks(nonce, data, chunk, 0, out), outBytes: (bytes / chunk) * (chunk + 16) };
    case 'openChunks': {
      const sealed = gcm.sealChunks(nonce, data, chunk, 0);
      return { run: (out) => gcm.openChunks(nonce, sealed, chunk, 0, out), outBytes: bytes };
    }
    // The one-shot chunked calls have no `out`: their reference is the same chunks through
    // sealChunks/openChunks into a reused buffer (the work they do, without the result).
    case 'encryptChunked':
      return { run: (out) => (out ? gcm.sealChunks(nonce, data, chunk, 0, out) : lib.encryptChunked(key.subarray(0, 32), data)), outBytes: (bytes / chunk) * (chunk + 16) };
    case 'decryptChunked': {
      const sealed = lib.encryptChunked(key.subarray(0, 32), data);
      const chunks = gcm.sealChunks(nonce, data, chunk, 0);
      return { run: (out) => (out ? gcm.openChunks(nonce, chunks, chunk, 0, out) : lib.decryptChunked(key.subarray(0, 32), sealed)), outBytes: bytes };
    }
  }
  throw new Error(`unknown op ${op}`);
}

/**
 * The `out` of each call: one reused array ('out'), none ('alloc'), or the next of a ring
 * of arrays totalling 64 MiB ('ring': outputs as far from the cache as the dropped results
 * V8 collects every 32 MiB or so, but in pages already mapped: the ceiling of any allocator
 * that cannot hand the same memory back at once).
 */
function outputs(form, outBytes) {
  if (form === 'alloc') return () => undefined;
  if (form === 'out') {
    const out = new Uint8Array(outBytes);
    return () => out;
  }
  const ring = Array.from({ length: Math.max(2, Math.ceil((64 * MIB) / outBytes)) }, () => new Uint8Array(outBytes).fill(1));
  let next = 0;
  return () => ring[next++ % ring.length];
}

function call(op, form, bytes, sectorSize, seconds) {
  const { run, outBytes } = callCase(op, bytes, sectorSize);
  const out = outputs(form, outBytes);
  // Calls per check of the clock: about 1 ms of work.
  const batch = Math.max(1, Math.round(1e6 / bytes));
  for (let i = 0; i < batch * 20; i++) run(out());
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const end = t0 + seconds * 1000;
  let done = 0;
  let sink = 0;
  while (performance.now() < end) {
    for (let i = 0; i < batch; i++) sink ^= run(out())[0];
    done += batch * bytes;
  }
  const elapsed = (performance.now() - t0) / 1000;
  report(done, elapsed, process.cpuUsage(cpu0), { sink });
}

/** `total` bytes as fresh 1 MiB Buffers, as a file or socket source gives them. */
async function* fresh(total) {
  for (let done = 0; done < total; done += MIB) yield randomFillSync(Buffer.allocUnsafe(Math.min(MIB, total - done)), 0, 64);
}

const sink = () => new Writable({ highWaterMark: 4 * MIB, write: (_chunk, _encoding, callback) => callback() });

function transform(mode, key) {
  switch (mode) {
    case 'encrypt':
      return lib.createChunkedEncryptStream(key);
    case 'passthrough':
      return new PassThrough();
    case 'node-gcm':
      return createCipheriv('aes-256-gcm', key, Buffer.alloc(12));
  }
  throw new Error(`unknown stream ${mode}`);
}

async function stream(mode, mib, count) {
  const total = mib * MIB;
  const key = new Uint8Array(32).fill(7);
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  if (mode === 'decrypt') {
    await pipeline(process.stdin, lib.createChunkedDecryptStream(key), sink());
  } else {
    await Promise.all(Array.from({ length: count }, () => pipeline(Readable.from(fresh(total)), transform(mode, key), sink())));
  }
  const elapsed = (performance.now() - t0) / 1000;
  report(total * count, elapsed, process.cpuUsage(cpu0));
}

if (kind === 'call') {
  const [op, form, bytes, sectorSize, seconds] = args;
  call(op, form, Number(bytes), Number(sectorSize), Number(seconds));
} else if (kind === 'stream') {
  const [mode, mib, count] = args;
  await stream(mode, Number(mib), Number(count ?? 1));
} else if (kind === 'emit') {
  await pipeline(Readable.from(fresh(Number(args[0]) * MIB)), lib.createChunkedEncryptStream(new Uint8Array(32).fill(7)), process.stdout);
} else {
  throw new Error(`unknown kind ${kind}`);
}
