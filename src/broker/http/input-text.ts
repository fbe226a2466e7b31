/**
 * Text (and numbers) the database can store. PostgreSQL's text and jsonb refuse U+0000 (SQLSTATE 22021,
 * 22P05), and a lone UTF-16 surrogate has no UTF-8 form (jsonb refuses its escape; a text
 * parameter would be silently changed to U+FFFD). Every string that comes in (JSON bodies,
 * their object keys, path parameters, query strings) is checked once, at the door (app.ts),
 * so that bad text is a 400 for its sender and never a failed commit for the batch it joined.
 */
import { SectorCryptError } from '../../errors.js';

/** In a `u` regex a paired surrogate is one code point, so \p{Cs} finds only lone ones. */
const BAD_TEXT = /\u0000|\p{Cs}/u;

/** Deeper than any body the routes take (a policy's rules nest 8 levels); audit records stop at 64. */
export const MAX_INPUT_DEPTH = 32;

export function isBadText(s: string): boolean {
  return BAD_TEXT.test(s);
}

/** Printable for a message or a record: JSON escapes NUL and lone surrogates (ES2019). */
export function escapeText(s: string): string {
  return JSON.stringify(s).slice(1, -1);
}

export interface BadInput {
  /** JSON Pointer (RFC 6901) to the value, its segments escaped with escapeText. */
  path: string;
  what: 'string' | 'key' | 'depth' | 'number';
}

function segment(key: string | number): string {
  return `/${escapeText(String(key)).replace(/~/g, '~0').replace(/\//g, '~1')}`;
}

/** The first string or object key that cannot be stored, or a nesting too deep; undefined if none. */
export function findBadInput(value: unknown, maxDepth = MAX_INPUT_DEPTH): BadInput | undefined {
  // A loop, not recursion: a 64 KiB body can nest thousands of levels.
  const stack: [unknown, string, number][] = [[value, '', 0]];
  while (stack.length) {
    const [v, path, depth] = stack.pop()!;
    if (typeof v === 'string') {
      if (isBadText(v)) return { path, what: 'string' };
      continue;
    }
    // JSON.parse makes Infinity of a number beyond a double's range (1e400).
    if (typeof v === 'number' && !Number.isFinite(v)) return { path, what: 'number' };
    if (v === null || typeof v !== 'object') continue;
    if (depth >= maxDepth) return { path, what: 'depth' };
    if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--) stack.push([v[i], path + segment(i), depth + 1]);
      continue;
    }
    const keys = Object.keys(v);
    for (const key of keys) if (isBadText(key)) return { path: path + segment(key), what: 'key' };
    for (let i = keys.length - 1; i >= 0; i--) stack.push([(v as Record<string, unknown>)[keys[i]!], path + segment(keys[i]!), depth + 1]);
  }
  return undefined;
}

/** The refusal's message: where, never the bad text itself (only its escaped path). */
export function badInputMessage(where: string, bad: BadInput): string {
  const at = bad.path === '' ? where : `${where} at ${bad.path}`;
  if (bad.what === 'depth') return `${at} nests deeper than ${MAX_INPUT_DEPTH} levels`;
  if (bad.what === 'number') return `${at} is a number beyond a double's range`;
  return `${bad.what === 'key' ? 'a key in ' : ''}${at} holds a NUL character or an unpaired UTF-16 surrogate, which the broker does not store`;
}

/** Throws ERR_ARGUMENT (400) for the first string, key or nesting the database cannot take. */
export function checkInput(value: unknown, where: string): void {
  const bad = findBadInput(value);
  if (bad) throw new SectorCryptError('ERR_ARGUMENT', badInputMessage(where, bad));
}
