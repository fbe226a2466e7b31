/**
 * BatchDriver counts what is in flight in bytes: the one-unit batch that completes a unit
 * split across two writes does not take a whole batch's place, and the input in flight
 * never passes depth * batchBytes.
 */
import { describe, expect, it } from 'vitest';
import { BatchDriver } from '../../src/stream/driver.js';
import type { BatchCodec } from '../../src/stream/codec.js';

describe('BatchDriver depth in bytes', () => {
  it('lets unit-sized batches run beside full ones, within depth * batchBytes', async () => {
    // Jobs end only when the test releases them: the oldest, and only while a write waits.
    const pending: { bytes: number; release: () => void }[] = [];
    const stats = { bytes: 0, maxRunning: 0, maxBytes: 0, sizes: [] as number[] };
    const codec: BatchCodec = {
      headBytes: 0,
      batchBytes: 4,
      unit: 2,
      head: () => undefined,
      batch(input) {
        stats.sizes.push(input.length);
        stats.bytes += input.length;
        return new Promise((resolve) => {
          pending.push({ bytes: input.length, release: () => resolve(input.slice()) });
          stats.maxRunning = Math.max(stats.maxRunning, pending.length);
          stats.maxBytes = Math.max(stats.maxBytes, stats.bytes);
        });
      },
      async finish(rest, emit) {
        emit(rest.slice());
      },
      close: () => {},
    };
    const releaseOldest = () => {
      const job = pending.shift()!;
      stats.bytes -= job.bytes;
      job.release();
    };
    const out: number[] = [];
    const driver = new BatchDriver(
      codec,
      (b) => out.push(...b),
      () => {},
      3,
    );
    const data = Uint8Array.from({ length: 40 }, (_, i) => i);
    // Writes of 5 bytes: a 4-byte batch of views, then the odd byte waits for the next
    // write, which completes its unit as a 2-byte batch.
    for (let at = 0; at < data.length; at += 5) {
      let written = false;
      const write = driver.write(data.subarray(at, at + 5)).then(() => (written = true));
      for (;;) {
        await new Promise((resolve) => setImmediate(resolve));
        if (written) break;
        releaseOldest();
      }
      await write;
    }
    const ended = driver.end();
    while (pending.length > 0) releaseOldest();
    await ended;
    expect(out).toEqual([...data]);
    expect(stats.sizes.slice(0, 6)).toEqual([4, 2, 4, 4, 2, 4]);
    expect(stats.maxBytes).toBeLessThanOrEqual(3 * 4);
    expect(stats.maxRunning).toBe(4);
  });
});
