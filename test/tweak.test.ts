/** The one home of the 128-bit little-endian tweak arithmetic (src/tweak.ts). */
import { expect, it } from 'vitest';
import { advanceTweak, le128, readLe128 } from '../src/tweak.js';

it('le128 writes little-endian and readLe128 reads it back, up to 2^128-1', () => {
  expect(Buffer.from(le128(141n)).toString('hex')).toBe('8d000000000000000000000000000000');
  for (const v of [0n, 1n, 2n ** 64n - 1n, 2n ** 64n, 2n ** 128n - 1n, 0x0123456789abcdef_fedcba9876543210n]) {
    expect(readLe128(le128(v))).toBe(v);
  }
  expect(readLe128(le128(2n ** 64n))).toBe(2n ** 64n);
});

it('advanceTweak carries across the 64-bit halves', () => {
  const start = le128(2n ** 64n - 3n);
  expect(readLe128(advanceTweak(start, 5, 8))).toBe(2n ** 64n - 3n + 40n);
  expect(readLe128(advanceTweak(new Uint8Array(new ArrayBuffer(20), 4, 16), 0, 1))).toBe(0n);
});
