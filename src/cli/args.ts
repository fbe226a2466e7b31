/**
 * Option and argument values, parsed in one place: whole numbers, byte sizes, durations and
 * repeated options. Each parser is made for one option (`integer('--days', { min: 1 })`) so
 * that a refusal names it; refusals are ERR_ARGUMENT, printed by main.ts as every other error.
 */
import { SectorCryptError } from '../errors.js';

export interface Range {
  /** Smallest value taken (default 0). */
  min?: number;
  /** Largest value taken (default: the largest safe integer). */
  max?: number;
  /** What the number is, for the refusal ("a seq"). */
  what?: string;
}

type Parse<T> = (value: string) => T;

function refuse(name: string, what: string, value: string): SectorCryptError {
  return new SectorCryptError('ERR_ARGUMENT', `${name} takes ${what}, not ${JSON.stringify(value)}`);
}

function upTo(max: number): string {
  return max < Number.MAX_SAFE_INTEGER ? ` to ${max}` : '';
}

/** A whole number in decimal digits (no sign, no exponent, no hex) within `range`. */
export function integer(name: string, { min = 0, max = Number.MAX_SAFE_INTEGER, what }: Range = {}): Parse<number> {
  return (value) => {
    const n = /^\d+$/.test(value) ? Number(value) : NaN;
    if (!(Number.isSafeInteger(n) && n >= min && n <= max))
      throw refuse(name, `${what ? `${what}, ` : ''}a whole number from ${min}${upTo(max)}`, value);
    return n;
  };
}

const UNITS: Record<string, number> = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 };

/** Bytes, with an optional K/M/G/T suffix (powers of 1024; `64M`, `64MiB` and `64mb` alike). */
export function bytes(name: string): Parse<number> {
  return (value) => {
    const m = /^(\d+)\s*([kmgt]?)(i?b)?$/i.exec(value.trim());
    const n = m ? Number(m[1]) * UNITS[m[2]!.toLowerCase()]! : NaN;
    if (!Number.isSafeInteger(n)) throw refuse(name, 'a byte count such as 4096, 64M or 2G', value);
    return n;
  };
}

/** A duration in seconds above 0, up to `max`; whole seconds unless `fractions`. */
export function seconds(
  name: string,
  { max = Number.MAX_SAFE_INTEGER, fractions = false }: { max?: number; fractions?: boolean } = {},
): Parse<number> {
  return (value) => {
    const n = (fractions ? /^(\d+\.?\d*|\.\d+)$/ : /^\d+$/).test(value) ? Number(value) : NaN;
    if (!(n > 0 && n <= max && (fractions || Number.isSafeInteger(n))))
      throw refuse(name, `${fractions ? 'a number of seconds' : 'whole seconds'} above 0${upTo(max).replace(' to', ', up to')}`, value);
    return n;
  };
}

/** commander's collector for a repeatable option, each value parsed by `parse`. */
export function repeated<T>(parse: Parse<T>): (value: string, previous: T[] | undefined) => T[] {
  return (value, previous) => [...(previous ?? []), parse(value)];
}

/** A repeatable option's values as given (`--role a --role b`: ['a', 'b']). */
export const collect = repeated((value: string) => value);

/**
 * The i-th of `count` values of a repeatable flag given with several brokers: one value serves
 * them all, else there must be exactly one per broker, in the order the brokers were given.
 */
export function paired(values: string[] | string | undefined, i: number, count: number, name: string): string | undefined {
  const list = values === undefined ? [] : Array.isArray(values) ? values : [values];
  if (list.length <= 1) return list[0];
  if (list.length !== count) throw new SectorCryptError('ERR_ARGUMENT', `${name}: give one, or one per broker (${count})`);
  return list[i];
}
