/**
 * The CLI's value parsers (src/cli/args.ts), fed what `Number()` would have let through:
 * an empty string (0), hex, exponents, signs, spaces, fractions where whole numbers belong,
 * numbers past 2^53. Each refusal is ERR_ARGUMENT naming the option and the value.
 */
import { describe, expect, it } from 'vitest';
import { bytes, collect, integer, repeated, seconds } from '../../src/cli/args.js';
import { expectCode } from '../bytes.js';

describe('integer', () => {
  const n = integer('--n');

  it('takes decimal digits within the range', () => {
    expect(n('0')).toBe(0);
    expect(n('4096')).toBe(4096);
    expect(integer('--days', { min: 1, max: 3650 })('3650')).toBe(3650);
  });

  it('refuses what Number() would have read as some other number', () => {
    for (const bad of ['', ' ', '0x10', '1e3', '+5', '-1', '1.5', '12 ', 'Infinity', 'NaN', '9007199254740993']) {
      const err = expectCode(() => n(bad), 'ERR_ARGUMENT');
      expect(err.message).toContain('--n takes');
      expect(err.message).toContain(JSON.stringify(bad));
    }
  });

  it('refuses values outside the range, and says the range', () => {
    const days = integer('--days', { min: 1, max: 3650 });
    expect(expectCode(() => days('0'), 'ERR_ARGUMENT').message).toMatch(/^--days takes a whole number from 1 to 3650, not "0"/);
    expectCode(() => days('3651'), 'ERR_ARGUMENT');
  });

  it('names what the number is when told', () => {
    expect(expectCode(() => integer('--after', { what: 'a seq' })('x'), 'ERR_ARGUMENT').message).toMatch(
      /^--after takes a seq, a whole number/,
    );
  });
});

describe('bytes', () => {
  const size = bytes('--size');

  it('takes K, M, G and T suffixes as powers of 1024, in any case, with B or iB', () => {
    expect(size('4096')).toBe(4096);
    expect(size('64M')).toBe(64 * 1024 ** 2);
    expect(size('64mib')).toBe(64 * 1024 ** 2);
    expect(size('2 GB')).toBe(2 * 1024 ** 3);
    expect(size('1t')).toBe(1024 ** 4);
    expect(size('3k')).toBe(3072);
  });

  it('refuses other units, signs, fractions and sizes past 2^53', () => {
    for (const bad of ['', '12Q', '-1', '1.5M', '0x10', '1e3', 'M', '9999999999T']) {
      expect(expectCode(() => size(bad), 'ERR_ARGUMENT').message).toContain('--size takes a byte count');
    }
  });
});

describe('seconds', () => {
  it('whole seconds above 0 by default', () => {
    const timeout = seconds('--timeout', { max: 9_999_999 });
    expect(timeout('1')).toBe(1);
    for (const bad of ['0', '', '1.5', '-3', '1e2', '10000000']) expectCode(() => timeout(bad), 'ERR_ARGUMENT');
  });

  it('fractions when allowed, still above 0 and up to the maximum', () => {
    const s = seconds('--seconds', { max: 60, fractions: true });
    expect(s('0.01')).toBe(0.01);
    expect(s('.5')).toBe(0.5);
    expect(s('60')).toBe(60);
    for (const bad of ['0', '0.0', '60.5', '1e-2', 'Infinity', '']) expectCode(() => s(bad), 'ERR_ARGUMENT');
  });
});

describe('repeated options', () => {
  it('collect keeps every value in order, from an empty default or none', () => {
    expect(collect('b', collect('a', []))).toEqual(['a', 'b']);
    expect(collect('a', undefined)).toEqual(['a']);
  });

  it('repeated parses each value and refuses a bad one', () => {
    const remove = repeated(integer('--remove'));
    expect(remove('2', remove('0', undefined))).toEqual([0, 2]);
    expectCode(() => remove('x', [0]), 'ERR_ARGUMENT');
  });
});
