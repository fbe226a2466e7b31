/**
 * RFC 8785 canonical JSON against the RFC's own examples (the cyberphone reference test
 * data, which holds the examples of sections 3.2.2 and 3.2.3) and the number samples of
 * appendix B, plus the refusals an audit record relies on.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { canonicalJson } from '../../src/audit/canonical-json.js';

const dir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'vectors', 'jcs');

describe('canonicalJson (RFC 8785)', () => {
  for (const name of readdirSync(path.join(dir, 'input'))) {
    it(`reproduces the reference output for ${name}, byte for byte`, () => {
      const input = JSON.parse(readFileSync(path.join(dir, 'input', name), 'utf8')) as unknown;
      const expected = readFileSync(path.join(dir, 'output', name));
      const hex = readFileSync(path.join(dir, 'outhex', name.replace('.json', '.txt')), 'utf8').replace(/\s+/g, '');
      const out = Buffer.from(canonicalJson(input), 'utf8');
      expect(out.toString('hex')).toBe(hex);
      expect(out.equals(expected)).toBe(true);
    });
  }

  it('serializes the numbers of appendix B and refuses NaN and Infinity', () => {
    const samples = JSON.parse(readFileSync(path.join(dir, 'rfc8785-appendix-b.json'), 'utf8')) as [string, string | null][];
    for (const [bits, expected] of samples) {
      const value = Buffer.from(bits, 'hex').readDoubleBE(0);
      if (expected === null) expect(() => canonicalJson([value]), bits).toThrow(/finite/);
      else expect(canonicalJson(value), bits).toBe(expected);
    }
    expect(() => canonicalJson({ a: -Infinity })).toThrow(expect.objectContaining({ code: 'ERR_ARGUMENT' }));
  });

  it('orders members by UTF-16 code units, not code points', () => {
    // U+1F600 is D83D DE00 in UTF-16, so it sorts before U+FB33 though its code point is larger.
    expect(canonicalJson({ '\ufb33': 1, '\u{1f600}': 2, '\u20ac': 3, a: 4 })).toBe('{"a":4,"\u20ac":3,"\u{1f600}":2,"\ufb33":1}');
  });

  it('escapes control characters as JCS says and keeps other characters literal', () => {
    expect(canonicalJson('\u0000\b\t\n\f\r\u001f"\\/\u007f\u2028é')).toBe('"\\u0000\\b\\t\\n\\f\\r\\u001f\\"\\\\/\u007f\u2028é"');
  });

  it('refuses what JSON cannot carry: lone surrogates, undefined, functions, class instances, cycles', () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    for (const bad of ['\ud800', { '\udc00': 1 }, { a: undefined }, [() => 1], new Date(0), 1n, cyclic]) {
      expect(() => canonicalJson(bad)).toThrow(expect.objectContaining({ code: 'ERR_ARGUMENT' }));
    }
    expect(canonicalJson({ z: [], y: {}, x: null, w: [true, false] })).toBe('{"w":[true,false],"x":null,"y":{},"z":[]}');
  });
});
