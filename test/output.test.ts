/**
 * Results the library allocates (src/output.ts): live results never share memory, pieces
 * carved from a shared block stay inside their own bytes, results equal node:crypto's on
 * every backend, and a failed open hands back nothing but zeros.
 */
import { describe, expect, it } from 'vitest';
import { AesGcm, XtsCipher } from '../src/index.js';
import { loadNative } from '../src/backend/native.js';
import { newOutput } from '../src/output.js';
import { overlaps } from '../src/bytes.js';
import { nodeGcmSeal, nodeXtsSectors } from './reference.js';
import { Rng } from './rng.js';

const KIB = 1024;
const backends = ['portable', ...(loadNative().backend ? ['native' as const] : [])] as const;

/** The chunk nonce of the chunked batch calls: base XOR index, big-endian in the last bytes. */
function chunkNonce(base: Uint8Array, index: number): Uint8Array {
  const nonce = new Uint8Array(base);
  for (let i = 11, rest = index; rest > 0; i--, rest = Math.floor(rest / 256)) nonce[i] ^= rest % 256;
  return nonce;
}

describe('newOutput', () => {
  it('hands out arrays of the asked length that never share a byte while they live', () => {
    const sizes = [0, 1, 4095, 4 * KIB, 16 * KIB + 16, 5000, 64 * KIB, 64 * KIB + 1, 1024 * KIB + 16];
    const live = Array.from({ length: 200 }, (_, i) => newOutput(sizes[i % sizes.length]));
    live.forEach((b, i) => expect(b.length).toBe(sizes[i % sizes.length]));
    for (let i = 0; i < live.length; i++) {
      for (let j = i + 1; j < live.length; j++) expect(overlaps(live[i], live[j])).toBe(false);
    }
    // Writing all of each one leaves every other intact.
    live.forEach((b, i) => b.fill(i & 0xff));
    live.forEach((b, i) => expect(b.every((x) => x === (i & 0xff))).toBe(true));
  });

  it('is a plain Uint8Array (slice copies), not a Buffer', () => {
    for (const size of [100, 16 * KIB, 1024 * KIB]) {
      const b = newOutput(size);
      expect(Object.getPrototypeOf(b)).toBe(Uint8Array.prototype);
      b.fill(1);
      const s = b.slice(0, 10);
      s[0] = 9;
      expect(b[0]).toBe(1);
    }
  });
});

describe.each(backends)('results without out (%s)', (backend) => {
  it('seal, open and the chunk calls equal node:crypto across the size classes', async () => {
    const rng = new Rng();
    const key = rng.bytes(32);
    const gcm = new AesGcm(key, { backend });
    const base = rng.bytes(12);
    const kept: Uint8Array[] = [];
    for (const length of [0, 15, 4080, 4096, 9000, 16 * KIB, 40 * KIB, 64 * KIB, 200 * KIB]) {
      for (let round = 0; round < 3; round++) {
        const nonce = rng.bytes(12);
        const plain = rng.bytes(length);
        const sealed = gcm.seal(nonce, plain);
        expect(Buffer.from(sealed).equals(nodeGcmSeal(key, nonce, plain)), rng.seed).toBe(true);
        const opened = gcm.open(nonce, sealed);
        expect(Buffer.from(opened).equals(plain), rng.seed).toBe(true);
        kept.push(sealed, opened);
      }
    }
    const plain = rng.bytes(5 * 16 * KIB);
    const chunks = round2(await Promise.all([gcm.sealChunksAsync(base, plain, 16 * KIB, 7), gcm.sealChunks(base, plain, 16 * KIB, 7)]));
    for (const sealed of chunks) {
      for (let i = 0; i < 5; i++) {
        const expected = nodeGcmSeal(key, chunkNonce(base, 7 + i), plain.subarray(i * 16 * KIB, (i + 1) * 16 * KIB));
        expect(Buffer.from(sealed.subarray(i * (16 * KIB + 16), (i + 1) * (16 * KIB + 16))).equals(expected), rng.seed).toBe(true);
      }
      expect(Buffer.from(gcm.openChunks(base, sealed, 16 * KIB, 7)).equals(plain)).toBe(true);
      expect(Buffer.from(await gcm.openChunksAsync(base, sealed, 16 * KIB, 7)).equals(plain)).toBe(true);
    }
    // Nothing written later reached an earlier result.
    for (let i = 0; i < kept.length; i++) {
      for (let j = i + 1; j < kept.length; j++) expect(overlaps(kept[i], kept[j])).toBe(false);
    }
    gcm.destroy();
  });

  it('XTS sector results equal node:crypto and do not alias each other', async () => {
    const rng = new Rng();
    const key = rng.bytes(64);
    const xts = new XtsCipher(key, { sectorSize: 512, backend });
    const results: { data: Uint8Array; sealed: Uint8Array }[] = [];
    for (const sectors of [1, 8, 32, 128, 300]) {
      const data = rng.bytes(sectors * 512);
      const sealed = sectors % 2 ? xts.encryptSectors(data, sectors) : await xts.encryptSectorsAsync(data, sectors);
      expect(Buffer.from(sealed).equals(nodeXtsSectors('encrypt', key, data, 512, BigInt(sectors))), rng.seed).toBe(true);
      expect(Buffer.from(xts.decryptSectors(sealed, sectors)).equals(data)).toBe(true);
      results.push({ data, sealed });
    }
    for (const { data, sealed } of results) expect(Buffer.from(xts.decryptSectors(sealed, data.length / 512)).equals(data)).toBe(true);
    xts.destroy();
  });

  it('a failed open returns nothing, and a given out holds zeros only', () => {
    const rng = new Rng();
    const gcm = new AesGcm(rng.bytes(16), { backend });
    const nonce = rng.bytes(12);
    for (const length of [5000, 16 * KIB, 100 * KIB]) {
      const sealed = gcm.seal(nonce, rng.bytes(length));
      sealed[length - 1] ^= 1;
      expect(() => gcm.open(nonce, sealed)).toThrow(expect.objectContaining({ code: 'ERR_AUTH' }));
      const out = rng.bytes(length);
      expect(() => gcm.open(nonce, sealed, undefined, out)).toThrow(expect.objectContaining({ code: 'ERR_AUTH' }));
      expect(out.every((x) => x === 0)).toBe(true);
    }
    gcm.destroy();
  });
});

function round2(pair: Uint8Array[]): Uint8Array[] {
  expect(overlaps(pair[0], pair[1])).toBe(false);
  return pair;
}
