/** RangeLock: shared reads, exclusive writes, arrival order among overlapping requests. */
import { describe, expect, it } from 'vitest';
import { RangeLock } from '../../src/volume/range-lock.js';

const tick = () => new Promise((r) => setImmediate(r));

describe('RangeLock', () => {
  it('overlapping reads run together', async () => {
    const lock = new RangeLock();
    const a = await lock.acquire(0, 10, false);
    const b = await lock.acquire(5, 15, false);
    expect(lock.pending).toBe(2);
    a();
    b();
    expect(lock.pending).toBe(0);
  });

  it('a write waits for overlapping reads and blocks later overlapping reads; disjoint ranges pass', async () => {
    const lock = new RangeLock();
    const order: string[] = [];
    const r1 = await lock.acquire(0, 10, false);
    const w = lock.acquire(5, 8, true).then((release) => (order.push('write'), release));
    const r2 = lock.acquire(7, 9, false).then((release) => (order.push('read2'), release));
    const other = lock.acquire(20, 30, true).then((release) => (order.push('disjoint'), release));
    await tick();
    expect(order).toEqual(['disjoint']);
    r1();
    const wr = await w;
    await tick();
    expect(order).toEqual(['disjoint', 'write']);
    wr();
    (await r2)();
    (await other)();
    expect(order).toEqual(['disjoint', 'write', 'read2']);
  });

  it('overlapping writes start in arrival order', async () => {
    const lock = new RangeLock();
    const order: number[] = [];
    const all = [0, 1, 2, 3].map((i) =>
      lock.acquire(i, 10, true).then((release) => {
        order.push(i);
        setImmediate(release);
      }),
    );
    await Promise.all(all);
    expect(order).toEqual([0, 1, 2, 3]);
  });
});
