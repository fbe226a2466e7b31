import { describe, expect, test } from 'vitest';
import { anchoredRegExp, unsafePatternReason } from '../../../src/broker/policy/regex.js';

describe('matches patterns', () => {
  test.each([
    ['eu-(west|central)-1', null],
    ['[a-f0-9]{64}', null],
    ['projects/[^/]+/zones/[^/]+', null],
    ['(?<family>debian|ubuntu)-\\d{2}', null],
    ['[\\]()+*]x', null], // metacharacters inside a class are plain
    ['\\(a+\\)+', null], // escaped parentheses are not a group
    ['(abc)+', null], // a repeated group with no quantifier inside
    ['(a|b)?', null], // alternation under `?` repeats at most once
  ])('accepts %s', (pattern, reason) => {
    expect(unsafePatternReason(pattern)).toBe(reason);
  });

  test.each([
    ['(a+)+', /nested quantifiers/],
    ['(a*)*b', /nested quantifiers/],
    ['(a|aa)+', /nested quantifiers/],
    ['((ab)*c)+', /nested quantifiers/],
    ['(x(a|b))*', /nested quantifiers/],
    ['(a)\\1', /backreferences/],
    ['(?<n>a)\\k<n>', /backreferences/],
    ['(?<=a)b', /lookahead and lookbehind/],
    ['(?<!a)b', /lookahead and lookbehind/],
    ['a(?=b)', /lookahead and lookbehind/],
    ['a(?!b)', /lookahead and lookbehind/],
    ['a*a*a?', /repetitions/],
    ['[^/]+/[^/]+/[^/]+', /repetitions/],
    ['a{0,255}b{0,255}c?', /repetitions/],
    ['(', /not a valid/],
    ['a)|(b', /not a valid/], // would escape the anchors once wrapped
    ['a)|(?:b', /not a valid/],
    ['a{2,1}', /not a valid/],
    ['x'.repeat(257), /longer than 256/],
  ])('refuses %s', (pattern, why) => {
    expect(unsafePatternReason(pattern)).toMatch(why);
  });

  test('patterns are anchored at both ends', () => {
    const re = anchoredRegExp('eu-(west|central)-1');
    expect(re.test('eu-west-1')).toBe(true);
    expect(re.test('xeu-west-1')).toBe(false);
    expect(re.test('eu-west-12')).toBe(false);
    expect(anchoredRegExp('a|b').test('ab')).toBe(false); // the alternation sits inside the anchors
  });
});
