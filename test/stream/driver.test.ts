/** BatchDriver with a fake codec whose jobs finish out of order or fail on demand. */
import { describe, expect, it } from 'vitest';
import { BatchDriver } from '../../src/stream/driver.js';
import type { BatchCodec } from '../../src/stream/codec.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Batches of up to 4 bytes in units of 2; job i takes delays[i] ms, fails when listed in `failing`; output = input + 100. */
function fakeCodec(delays: number[], failing: number[] = []) {
  let started = 0;
  let running = 0;
  const stats = { maxRunning: 0, closed: 0 };
  const codec: BatchCodec = {
    headBytes: 0,
    batchBytes: 4,
    unit: 2,
    head: () => undefined,
    async batch(input) {
      const i = started++;
      running++;
      stats.maxRunning = Math.max(stats.maxRunning, running);
      await sleep(delays[i] ?? 0);
      running--;
      if (failing.includes(i)) throw new Error(`batch ${i} failed`);
      return input.map((b) => b + 100);
    },
    async finish(rest, emit) {
      emit(rest.map((b) => b + 200));
    },
    close: () => void stats.closed++,
  };
  return { codec, stats };
}

function collect() {
  const out: number[][] = [];
  const errors: unknown[] = [];
  return { out, errors, emit: (b: Uint8Array) => out.push([...b]), onError: (e: unknown) => errors.push(e) };
}

describe('BatchDriver', () => {
  it('emits in input order when later jobs finish first, and keeps at most `depth` running', async () => {
    const { codec, stats } = fakeCodec([30, 5, 1, 20, 1, 1]);
    const c = collect();
    const driver = new BatchDriver(codec, c.emit, c.onError, 3);
    await driver.write(Uint8Array.from({ length: 25 }, (_, i) => i));
    await driver.end();
    expect(c.out.flat()).toEqual([...Array.from({ length: 24 }, (_, i) => i + 100), 224]);
    expect(stats.maxRunning).toBe(3);
    expect(stats.closed).toBe(1);
    expect(c.errors).toEqual([]);
  });

  it('after a failed job emits nothing more, even jobs that succeeded later, and keeps failing', async () => {
    const { codec, stats } = fakeCodec([20, 1, 1, 1], [1]);
    const c = collect();
    const driver = new BatchDriver(codec, c.emit, c.onError, 4);
    await driver.write(new Uint8Array(16));
    await expect(driver.end()).rejects.toThrow('batch 1 failed');
    expect(c.out).toEqual([[100, 100, 100, 100]]);
    expect(c.errors).toHaveLength(1);
    await expect(driver.write(new Uint8Array(4))).rejects.toThrow('batch 1 failed');
    await sleep(30);
    expect(stats.closed).toBe(1);
  });

  it('small writes fill whole batches; large ones go as whole units, uncopied', async () => {
    const { codec } = fakeCodec([]);
    const c = collect();
    const driver = new BatchDriver(codec, c.emit, c.onError);
    const data = Uint8Array.from({ length: 30 }, (_, i) => i);
    let at = 0;
    for (const n of [1, 1, 1, 1, 1, 9, 0, 1, 15]) {
      await driver.write(data.subarray(at, at + n));
      at += n;
    }
    await driver.end();
    // 1-byte writes collect into a 4-byte batch; the 9-byte write completes the pending
    // unit (a 2-byte batch), then goes out as 4 + 4 uncopied; the 15-byte write likewise.
    expect(c.out.map((b) => b.length)).toEqual([4, 2, 4, 4, 2, 4, 4, 4, 2]);
    expect(c.out.flat().map((b) => b % 100)).toEqual([...data.map((b) => b % 100)]);
  });
});
