/**
 * `matches` patterns, made safe without a linear-time engine (no `re2` dependency): a pattern
 * is refused when it could make V8's backtracking matcher take exponential time, and the
 * strings it runs on are bounded (LIMITS.maxMatchedLength). What is refused:
 *  - backreferences (`\1`, `\k<name>`) and lookarounds (`(?=`, `(?!`, `(?<=`, `(?<!`): they are
 *    outside regular languages and are how most catastrophic patterns are built;
 *  - nested quantifiers: a repeated group (`*`, `+`, `{n,m}` with m > 1) that itself contains a
 *    quantifier or an alternation, e.g. `(a+)+`, `(a|aa)*` -- the classic exponential shapes;
 *  - patterns whose repetitions multiply past MATCH_BUDGET: without nesting, the backtracking
 *    work is bounded by the product of each repetition's span (max - min + 1, an open-ended one
 *    counting as LIMITS.maxMatchedLength = 256): `[^/]+/zones/[^/]+` (256 * 256) is allowed,
 *    `a*a*a?` or `[^/]+/[^/]+/[^/]+` are refused. The budget was measured as a few
 *    milliseconds of V8 backtracking in the worst case.
 * Every pattern is compiled with the `u` flag (strict syntax) and anchored as `^(?:...)$`.
 */
import { LIMITS } from './types.js';

/** Upper bound of the product of repetition spans (see above). */
export const MATCH_BUDGET = 2 ** 16;

interface Group {
  /** The group contains a quantifier or `|` (directly or in a nested group). */
  risky: boolean;
}

/** Why `pattern` is refused, or null when it is safe. */
export function unsafePatternReason(pattern: string): string | null {
  if (pattern.length > LIMITS.maxPatternLength) return `pattern longer than ${LIMITS.maxPatternLength} characters`;
  try {
    // The pattern must stand alone: `a)|(b` would compile once wrapped, and escape the anchors.
    new RegExp(pattern, 'u');
  } catch {
    return 'not a valid regular expression';
  }
  const stack: Group[] = [{ risky: false }];
  let work = 1;
  // What a quantifier would apply to: a plain atom, or a group that just closed.
  let lastAtom: 'none' | 'atom' | 'group' = 'none';
  let lastGroupRisky = false;
  let i = 0;
  const top = () => stack[stack.length - 1]!;
  while (i < pattern.length) {
    const c = pattern[i]!;
    if (c === '\\') {
      const n = pattern[i + 1] ?? '';
      if (/[1-9]/.test(n) || n === 'k') return 'backreferences are not allowed';
      // \u{...}, \p{...}, \x.., \u.... and one-character escapes are single atoms.
      const m = /^\\(?:u\{[0-9a-fA-F]+\}|[pP]\{[^}]*\}|x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|c[A-Za-z]|.)/su.exec(pattern.slice(i));
      i += m![0].length;
      lastAtom = 'atom';
      continue;
    }
    if (c === '[') {
      // A character class is one atom; skip to its closing bracket, minding escapes.
      i++;
      if (pattern[i] === '^') i++;
      while (i < pattern.length && pattern[i] !== ']') i += pattern[i] === '\\' ? 2 : 1;
      i++;
      lastAtom = 'atom';
      continue;
    }
    if (c === '(') {
      if (pattern.startsWith('(?=', i) || pattern.startsWith('(?!', i) || pattern.startsWith('(?<=', i) || pattern.startsWith('(?<!', i)) {
        return 'lookahead and lookbehind are not allowed';
      }
      if (pattern.startsWith('(?:', i)) i += 3;
      else if (pattern.startsWith('(?<', i)) i = pattern.indexOf('>', i) + 1;
      else if (pattern.startsWith('(?', i)) return 'group modifiers are not allowed';
      else i++;
      stack.push({ risky: false });
      lastAtom = 'none';
      continue;
    }
    if (c === ')') {
      if (stack.length === 1) return 'unbalanced parenthesis';
      const g = stack.pop()!;
      if (g.risky) top().risky = true;
      lastGroupRisky = g.risky;
      lastAtom = 'group';
      i++;
      continue;
    }
    if (c === '|') {
      top().risky = true;
      lastAtom = 'none';
      i++;
      continue;
    }
    const q = /^(?:([*+?])|\{(\d+)(,(\d*))?\})\??/.exec(pattern.slice(i));
    if (q && lastAtom !== 'none') {
      const min = q[2] === undefined ? (q[1] === '+' ? 1 : 0) : Number(q[2]);
      const max = q[1] === '?' ? 1 : q[1] !== undefined ? Infinity : q[3] === undefined ? min : q[4] === '' ? Infinity : Number(q[4]);
      if (max > 1 && lastAtom === 'group' && lastGroupRisky) {
        return 'a repeated group may not contain a quantifier or an alternation (nested quantifiers)';
      }
      work *= Math.max(1, Math.min(max, LIMITS.maxMatchedLength) - Math.min(min, LIMITS.maxMatchedLength) + 1);
      if (work > MATCH_BUDGET) return 'too many or too wide repetitions (at most two open-ended ones such as * or +)';
      top().risky = true;
      lastAtom = 'none';
      i += q[0].length;
      continue;
    }
    lastAtom = c === '^' || c === '$' ? 'none' : 'atom';
    i++;
  }
  return null;
}

const compiled = new Map<string, RegExp>();

/** The anchored matcher of a pattern that passed unsafePatternReason. */
export function anchoredRegExp(pattern: string): RegExp {
  let re = compiled.get(pattern);
  if (!re) {
    re = new RegExp(`^(?:${pattern})$`, 'u');
    // Bounded: policies are few; a runaway set of patterns just stops being cached.
    if (compiled.size < 1024) compiled.set(pattern, re);
  }
  return re;
}
