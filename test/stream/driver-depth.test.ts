/**
 * BatchDriver counts what is in flight in bytes: the one-unit batch that completes a unit
 * split across two writes does not take a whole batch's place, and the input in flight
 * never passes depth * batchBytes.
 */
import { describe, expect, it } from 'vitest';
import { BatchDriver } from '../../src/stream/driver.js';
import type { BatchCodec } from '../../src/stream/codec.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('BatchDriver depth in bytes', () => {
  it('lets unit-sized batches run beside full ones, within depth * batchBytes', async () => {
    const stats = { running: 0, bytes: 0, maxRunning: 0, maxBytes: 0, sizes: [] as number[] };
    const codec: BatchCodec = {
      headBytes: 0,
      batchBytes: 4,
      unit: 2,
      head: () => undefined,
      async batch(input) {
        stats.sizes.push(input.length);
        stats.running++;
        stats.bytes += input.length;
        stats.maxRunning = Math.max(stats.maxRunning, stats.running);
        stats.maxBytes = Math.max(stats.maxBytes, stats.bytes);
        await sleep(15);
        stats.running--;
        stats.bytes -= input.length;
        return input.slice();
      },
      async finish(rest, emit) {
        emit(rest.slice());
      },
      close: () => {},
    };
    const out: number[] = [];
    const driver = new BatchDriver(codec, (b) => out.push(...b), () => {}, 3);
    const data = Uint8Array.from({ length: 40 }, (_, i) => i);
    // Writes of 5 bytes: a 4-byte batch of views, then the odd byte waits for the next
    // write, which completes its unit as a 2-byte batch.
    for (let at = 0; at < data.length; at += 5) await driver.write(data.subarray(at, at + 5));
    await driver.end();
    expect(out).toEqual([...data]);
    expect(stats.sizes.slice(0, 6)).toEqual([4, 2, 4, 4, 2, 4]);
    expect(stats.maxBytes).toBeLessThanOrEqual(3 * 4);
    expect(stats.maxRunning).toBe(4);
  });
});
