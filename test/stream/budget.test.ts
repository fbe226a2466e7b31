/** JobBudget (src/stream/budget.ts): never more than `limit` jobs at once, waiters served in order. */
import { describe, expect, it } from 'vitest';
import { JobBudget } from '../../src/stream/budget.js';

describe('JobBudget', () => {
  it('holds jobs past the limit until others release, first come first served', async () => {
    const budget = new JobBudget(2);
    let running = 0;
    let most = 0;
    const order: number[] = [];
    const job = async (id: number) => {
      await budget.acquire();
      running++;
      most = Math.max(most, running);
      order.push(id);
      await new Promise((resolve) => setTimeout(resolve, 5));
      running--;
      budget.release();
    };
    await Promise.all([0, 1, 2, 3, 4, 5, 6].map(job));
    expect(most).toBe(2);
    expect(order).toEqual([0, 1, 2, 3, 4, 5, 6]);
  });

  it('six streams at once round-trip their data and give every shared slot back', async () => {
    const { sharedBudget } = await import('../../src/stream/budget.js');
    const { createChunkedEncryptStream, createChunkedDecryptStream } = await import('../../src/index.js');
    const { Readable, Writable } = await import('node:stream');
    const { pipeline } = await import('node:stream/promises');
    const key = new Uint8Array(32).fill(9);
    const block = new Uint8Array(1024 * 1024).map((_, i) => i * 13);
    const results = await Promise.all(
      Array.from({ length: 6 }, async () => {
        let seen = 0;
        let same = true;
        const sink = new Writable({
          write(chunk: Uint8Array, _e, cb) {
            for (let i = 0; i < chunk.length; i += 4093) same &&= chunk[i] === block[(seen + i) % block.length];
            seen += chunk.length;
            cb();
          },
        });
        await pipeline(
          Readable.from(Array.from({ length: 8 }, () => block)),
          createChunkedEncryptStream(key),
          createChunkedDecryptStream(key),
          sink,
        );
        return same && seen === 8 * block.length;
      }),
    );
    expect(results.every(Boolean)).toBe(true);
    // Every slot came back.
    const grabbed = Array.from({ length: sharedBudget.limit }, () => sharedBudget.acquire());
    let extra = false;
    void sharedBudget.acquire().then(() => (extra = true));
    await Promise.all(grabbed);
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(extra).toBe(false);
    for (let i = 0; i <= sharedBudget.limit; i++) sharedBudget.release();
  });
});
