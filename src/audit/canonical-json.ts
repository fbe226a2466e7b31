/**
 * RFC 8785 JSON Canonicalization Scheme (JCS), written here rather than taken from npm
 * because the maintained package (canonicalize 5.x) declares Node >= 22 and silently accepts
 * values JSON cannot carry (undefined, toJSON, boxed primitives), while an audit record must
 * hash exactly what it says.
 *
 * - Strings (3.2.2.2): JSON.stringify's escaping is the one JCS prescribes (ES2019+); lone
 *   surrogates are refused, since they have no UTF-8 form.
 * - Numbers (3.2.2.3): the ECMAScript Number-to-String of JSON.stringify; NaN and the
 *   infinities are refused.
 * - Objects (3.2.3): members sorted by their names as arrays of UTF-16 code units, which is
 *   what the default Array.prototype.sort compares.
 * Only null, booleans, numbers, strings, arrays and plain objects are accepted.
 */
import { SectorCryptError } from '../errors.js';

/** Deep enough for any audit record, shallow enough to stay off the call stack's limit. */
const MAX_DEPTH = 64;

/** In a `u` regex a paired surrogate is one code point, so this finds only lone ones. */
const LONE_SURROGATE = /\p{Cs}/u;

export function canonicalJson(value: unknown): string {
  return serialize(value, 0);
}

function refuse(why: string): never {
  throw new SectorCryptError('ERR_ARGUMENT', `cannot canonicalize: ${why}`);
}

// Plain loops and string appends: this runs once per record when a million are verified.
function serialize(value: unknown, depth: number): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      if (!Number.isFinite(value)) refuse(`${value} is not a finite number`);
      return JSON.stringify(value);
    case 'string':
      if (LONE_SURROGATE.test(value)) refuse('a string holds a lone surrogate');
      return JSON.stringify(value);
    case 'object':
      break;
    default:
      refuse(`a ${typeof value} has no JSON form`);
  }
  if (depth >= MAX_DEPTH) refuse(`nested deeper than ${MAX_DEPTH}`);
  if (Array.isArray(value)) {
    let out = '[';
    for (let i = 0; i < value.length; i++) out += (i === 0 ? '' : ',') + serialize(value[i], depth + 1);
    return `${out}]`;
  }
  const proto = Object.getPrototypeOf(value) as unknown;
  if (proto !== Object.prototype && proto !== null) refuse('only plain objects have a JSON form');
  const object = value as Record<string, unknown>;
  const keys = Object.keys(object).sort();
  let out = '{';
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]!;
    if (LONE_SURROGATE.test(key)) refuse('a member name holds a lone surrogate');
    out += `${i === 0 ? '' : ','}${JSON.stringify(key)}:${serialize(object[key], depth + 1)}`;
  }
  return `${out}}`;
}
