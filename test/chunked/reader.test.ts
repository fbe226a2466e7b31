/** openChunkedReader: random reads against the plaintext, from memory and from a file. */
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { encryptChunked, openChunkedReader } from '../../src/index.js';
import { expectRejectCode, toHex } from '../bytes.js';
import { Rng } from '../rng.js';

const CHUNK = 16384;
const SLOT = CHUNK + 16;
const rng = new Rng();
const note = `seed ${rng.seed}`;
const dir = mkdtempSync(path.join(tmpdir(), 'sectorcrypt-reader-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function openFds(): number {
  return readdirSync('/proc/self/fd').length;
}

describe.each([16, 32])('%i-byte key', (keyLength) => {
  it.each([0, 1, 16383, 16384, 16385, 70 * CHUNK + 1234])('random reads of a %i-byte message match the plaintext', async (n) => {
    const key = rng.bytes(keyLength);
    const pt = rng.bytes(n);
    const ct = encryptChunked(key, pt, { context: 'r' });
    const file = path.join(dir, `m-${keyLength}-${n}`);
    writeFileSync(file, ct);
    for (const source of [ct, file]) {
      const reader = await openChunkedReader(key, source, { context: 'r' });
      expect(reader.size).toBe(n);
      const reads: [number, number][] = [
        [0, n],
        [0, 1],
        [n, 1],
        [Math.max(0, n - 1), 1],
      ];
      for (let i = 0; i < 20; i++) reads.push([rng.int(n + 1), rng.int(3 * CHUNK)]);
      for (const [position, length] of reads) {
        const got = await reader.read(position, length);
        expect(toHex(got), `${note} read(${position}, ${length}) of ${n}`).toBe(toHex(pt.subarray(position, position + length)));
      }
      await reader.close();
    }
  });
});

describe('reads', () => {
  const key = rng.bytes(16);
  const pt = rng.bytes(10 * CHUNK + 500);
  const ct = encryptChunked(key, pt);

  it('are clamped like pread: past the end gives fewer or no bytes', async () => {
    const reader = await openChunkedReader(key, ct);
    expect((await reader.read(pt.length - 10, 100)).length).toBe(10);
    expect((await reader.read(pt.length, 100)).length).toBe(0);
    expect((await reader.read(pt.length + 5000, 100)).length).toBe(0);
    expect((await reader.read(5, 0)).length).toBe(0);
    await reader.close();
  });

  it('refuse bad positions and lengths with ERR_ARGUMENT, and any read after close() with ERR_CLOSED', async () => {
    const reader = await openChunkedReader(key, ct);
    await expectRejectCode(() => reader.read(-1, 1), 'ERR_ARGUMENT');
    await expectRejectCode(() => reader.read(1.5, 1), 'ERR_ARGUMENT');
    await expectRejectCode(() => reader.read(0, -3), 'ERR_ARGUMENT');
    await expectRejectCode(() => reader.read('0' as unknown as number, 1), 'ERR_ARGUMENT');
    await reader.close();
    await expectRejectCode(() => reader.read(0, 1), 'ERR_CLOSED'); // read after close()
  });

  it('open only the chunks they need: a damaged chunk 7 does not stop reads of 0..6 or 8..10', async () => {
    const damaged = new Uint8Array(ct);
    damaged[56 + 7 * SLOT + 100] ^= 0x80;
    const reader = await openChunkedReader(key, damaged);
    expect(toHex(await reader.read(0, 7 * CHUNK))).toBe(toHex(pt.subarray(0, 7 * CHUNK)));
    expect(toHex(await reader.read(8 * CHUNK, 3 * CHUNK))).toBe(toHex(pt.subarray(8 * CHUNK)));
    await expectRejectCode(() => reader.read(7 * CHUNK - 1, 2), 'ERR_AUTH');
    await reader.close();
  });

  it('run concurrently', async () => {
    const reader = await openChunkedReader(key, ct);
    const ranges = Array.from({ length: 30 }, () => [rng.int(pt.length), rng.int(4 * CHUNK)] as const);
    const results = await Promise.all(ranges.map(([p, n]) => reader.read(p, n)));
    ranges.forEach(([p, n], i) => expect(toHex(results[i])).toBe(toHex(pt.subarray(p, p + n))));
    await reader.close();
  });
});

describe('files', () => {
  it('close() closes the file, also when opening fails', async () => {
    const key = rng.bytes(32);
    const file = path.join(dir, 'fd-check');
    writeFileSync(file, encryptChunked(key, rng.bytes(50_000)));
    const before = openFds();
    const reader = await openChunkedReader(key, file);
    expect(openFds()).toBe(before + 1);
    await reader.close();
    expect(openFds()).toBe(before);
    await expectRejectCode(() => openChunkedReader(rng.bytes(32), file), 'ERR_AUTH');
    expect(openFds()).toBe(before);
  });

  it('a missing file rejects with ERR_NOT_FOUND, the fs error as its cause', async () => {
    await expect(openChunkedReader(rng.bytes(16), path.join(dir, 'nope'))).rejects.toMatchObject({
      code: 'ERR_NOT_FOUND',
      cause: { code: 'ENOENT' },
    });
  });

  it('a source that is neither path nor bytes is ERR_ARGUMENT', async () => {
    await expectRejectCode(() => openChunkedReader(rng.bytes(16), 42 as unknown as string), 'ERR_ARGUMENT');
  });
});
