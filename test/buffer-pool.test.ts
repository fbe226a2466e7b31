/**
 * The native output buffer pool (native/buffer_pool.h): batch outputs made without `out`
 * come from recycled memory. Live buffers never share memory, dropped ones come back after
 * garbage collection, outputs in recycled memory still equal node:crypto's, and streams
 * stay bounded. The GC-dependent checks run in child processes (--expose-gc).
 */
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { AesGcm, XtsCipher } from '../src/index.js';
import { loadNative } from '../src/backend/native.js';
import { nodeGcmSeal, nodeXtsSectors } from './reference.js';
import { Rng } from './rng.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const tsx = pathToFileURL(createRequire(path.join(root, 'package.json')).resolve('tsx')).href;
const src = (file: string) => JSON.stringify(pathToFileURL(path.join(root, 'src', file)).href);
const native = loadNative();
const MIB = 1024 * 1024;

/** Runs `body` (an ES module) in a child node with --expose-gc; returns what it printed as JSON. */
function child<T>(body: string): T {
  const out = execFileSync(process.execPath, ['--expose-gc', '--import', tsx, '--input-type=module', '-e', body], { cwd: root, encoding: 'utf8' });
  return JSON.parse(out) as T;
}

/** The chunk nonce of the chunked batch calls: base XOR index, big-endian in the last bytes. */
function chunkNonce(base: Uint8Array, index: number): Uint8Array {
  const nonce = new Uint8Array(base);
  for (let i = 11, rest = index; rest > 0; i--, rest = Math.floor(rest / 256)) nonce[i] ^= rest % 256;
  return nonce;
}

describe.skipIf(!native.backend)('native buffer pool', () => {
  it('hands out buffers that never share memory while they live', () => {
    const handle = native.backend!.gcmKey(new Uint8Array(16));
    const sizes = [32 * 1024, 64 * 1024 + 1, 1000 * 1024, MIB, MIB + 1024, 3 * MIB];
    const live = Array.from({ length: 48 }, (_, i) => handle.allocate!(sizes[i % sizes.length]).fill(i));
    expect(new Set(live.map((b) => b.buffer)).size).toBe(live.length);
    live.forEach((b, i) => expect(b.length).toBe(sizes[i % sizes.length]));
    live.forEach((b, i) => expect(b.every((x) => x === i)).toBe(true));
    handle.destroy();
  });

  it('small and huge sizes are ordinary zeroed arrays', () => {
    const handle = native.backend!.gcmKey(new Uint8Array(16));
    for (const size of [0, 1, 16 * 1024, 17 * MIB]) {
      const b = handle.allocate!(size);
      expect(b).toBeInstanceOf(Uint8Array);
      expect(b.length).toBe(size);
      expect(b.every((x) => x === 0)).toBe(true);
    }
    handle.destroy();
  });

  it('takes dropped buffers back after GC and reuses them without touching live ones', () => {
    const result = child<{ came: number; newBlocks: number; reused: number; keptIntact: boolean; distinct: boolean }>(`
      import { loadNative } from ${src('backend/native.ts')};
      const native = loadNative();
      const handle = native.backend.gcmKey(new Uint8Array(16));
      const kept = handle.allocate(${MIB}).fill(7);
      for (let i = 0; i < 16; i++) handle.allocate(${MIB}).fill(1);
      const idle0 = native.bufferPool().idle;
      globalThis.gc();
      // Finalizers run on the event loop after the collector freed the buffers.
      for (let i = 0; i < 200 && native.bufferPool().idle < idle0 + 16; i++) await new Promise((r) => setTimeout(r, 10));
      const before = native.bufferPool();
      const again = Array.from({ length: 16 }, () => handle.allocate(${MIB}).fill(2));
      const after = native.bufferPool();
      console.log(JSON.stringify({
        came: before.idle - idle0,
        newBlocks: after.created - before.created,
        reused: after.reused - before.reused,
        keptIntact: kept.every((b) => b === 7),
        distinct: new Set([kept, ...again].map((b) => b.buffer)).size === 17,
      }));
    `);
    expect(result.came).toBeGreaterThanOrEqual(16);
    expect(result.newBlocks).toBe(0);
    expect(result.reused).toBe(16);
    expect(result.keptIntact).toBe(true);
    expect(result.distinct).toBe(true);
  });

  it('chunk outputs in recycled memory equal node:crypto, and a failed open leaves zeros', async () => {
    const rng = new Rng();
    const key = rng.bytes(16);
    const base = rng.bytes(12);
    const gcm = new AesGcm(key, { backend: 'native' });
    const reused0 = native.bufferPool!().reused;
    // 48 MiB of outputs: more than V8 lets young array buffers pile up, so blocks come back.
    for (let round = 0; round < 48; round++) {
      const chunks = 1 + (round % 64);
      const plain = rng.bytes(chunks * 16384);
      const first = round * 64;
      const sealed = round % 2 ? gcm.sealChunks(base, plain, 16384, first) : await gcm.sealChunksAsync(base, plain, 16384, first);
      if (round % 8 === 0) {
        for (let i = 0; i < chunks; i++) {
          const expected = nodeGcmSeal(key, chunkNonce(base, first + i), plain.subarray(i * 16384, (i + 1) * 16384));
          expect(Buffer.from(sealed.subarray(i * 16400, (i + 1) * 16400)).equals(expected)).toBe(true);
        }
      }
      const opened = round % 2 ? gcm.openChunks(base, sealed, 16384, first) : await gcm.openChunksAsync(base, sealed, 16384, first);
      expect(Buffer.from(opened).equals(plain)).toBe(true);
    }
    expect(native.bufferPool!().reused).toBeGreaterThan(reused0);
    const plain = rng.bytes(8 * 16384);
    const sealed = gcm.sealChunks(base, plain, 16384, 0);
    sealed[5 * 16400 + 3] ^= 1;
    await expect(gcm.openChunksAsync(base, sealed, 16384, 0)).rejects.toMatchObject({ code: 'ERR_AUTH' });
    gcm.destroy();
  });

  it('XTS sector outputs in pooled memory equal node:crypto', async () => {
    const rng = new Rng();
    const key = rng.bytes(64);
    const xts = new XtsCipher(key, { sectorSize: 4096, backend: 'native' });
    for (let round = 0; round < 6; round++) {
      const data = rng.bytes((64 + round * 37) * 4096);
      const expected = nodeXtsSectors('encrypt', key, data, 4096, BigInt(round * 1000));
      const sealed = round % 2 ? xts.encryptSectors(data, round * 1000) : await xts.encryptSectorsAsync(data, round * 1000);
      expect(Buffer.from(sealed).equals(expected)).toBe(true);
      expect(Buffer.from(await xts.decryptSectorsAsync(sealed, round * 1000)).equals(data)).toBe(true);
    }
    xts.destroy();
  });

  it('a 256 MiB chunked stream round trip recycles its outputs and stays bounded', () => {
    const result = child<{ ok: boolean; created: number; reused: number; rssGrowthMiB: number }>(`
      import { Readable, Writable } from 'node:stream';
      import { pipeline } from 'node:stream/promises';
      import { createChunkedEncryptStream, createChunkedDecryptStream } from ${src('index.ts')};
      import { loadNative } from ${src('backend/native.ts')};
      const native = loadNative();
      const key = new Uint8Array(32).fill(3);
      const block = new Uint8Array(${MIB}).map((_, i) => i * 7);
      const pool0 = native.bufferPool();
      const rss0 = process.memoryUsage().rss;
      let seen = 0, ok = true;
      async function* source() { for (let i = 0; i < 256; i++) yield block; }
      const sink = new Writable({ write(chunk, _e, cb) {
        for (let i = 0; i < chunk.length; i += 4099) ok &&= chunk[i] === block[(seen + i) % block.length];
        seen += chunk.length;
        cb();
      } });
      await pipeline(Readable.from(source()), createChunkedEncryptStream(key), createChunkedDecryptStream(key), sink);
      const pool = native.bufferPool();
      console.log(JSON.stringify({
        ok: ok && seen === 256 * ${MIB},
        created: pool.created - pool0.created,
        reused: pool.reused - pool0.reused,
        rssGrowthMiB: (process.resourceUsage().maxRSS * 1024 - rss0) / ${MIB},
      }));
    `);
    expect(result.ok).toBe(true);
    // 512 batch outputs (256 each way): without recycling every one would be a new block.
    expect(result.reused).toBeGreaterThan(256);
    expect(result.created).toBeLessThan(256);
    expect(result.rssGrowthMiB).toBeLessThan(200);
  });
});
