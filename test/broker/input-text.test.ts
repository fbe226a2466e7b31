/**
 * The door's check on text (src/broker/http/input-text.ts): what PostgreSQL's text and jsonb
 * refuse (U+0000, an unpaired UTF-16 surrogate) is found in strings and in object keys, at
 * any depth, and named by an escaped JSON Pointer that never holds the bad text itself.
 */
import { describe, expect, it } from 'vitest';
import { checkInput, escapeText, findBadInput, isBadText, MAX_INPUT_DEPTH } from '../../src/broker/http/input-text.js';

describe('input text', () => {
  it('refuses NUL, a lone high surrogate and a lone low surrogate', () => {
    expect(isBadText('a\u0000b')).toBe(true);
    expect(isBadText('\u0000')).toBe(true);
    expect(isBadText('x\ud800')).toBe(true);
    expect(isBadText('\ud83dx')).toBe(true);
    expect(isBadText('x\udc00y')).toBe(true);
    expect(isBadText('\ude00\ud83d')).toBe(true); // low then high: both unpaired
  });

  it('accepts paired surrogates and every other character', () => {
    expect(isBadText('😀 \ud83d\ude00 𝄞')).toBe(false);
    expect(isBadText('\u0001\u001f\u007f\u00ff\uffff\ufffd\t\n')).toBe(false);
    expect(findBadInput({ emoji: '😀', '😀': ['𝄞', { ключ: 'значение' }], n: 1e308, b: true, z: null })).toBeUndefined();
  });

  it('finds bad strings nested in arrays and objects, with their path', () => {
    expect(findBadInput({ identity: { x: '\u0000' } })).toEqual({ path: '/identity/x', what: 'string' });
    expect(findBadInput({ a: [1, 'ok', ['\ud800']] })).toEqual({ path: '/a/2/0', what: 'string' });
    expect(findBadInput('\udc00')).toEqual({ path: '', what: 'string' });
    expect(findBadInput({ 'a/b~c': '\u0000' })).toEqual({ path: '/a~1b~0c', what: 'string' });
  });

  it('finds bad key names, escaped in the path', () => {
    expect(findBadInput({ identity: { 'x\u0000': 1 } })).toEqual({ path: '/identity/x\\u0000', what: 'key' });
    expect(findBadInput({ '\ud800': 'fine' })).toEqual({ path: '/\\ud800', what: 'key' });
    const err = (() => {
      try {
        checkInput({ claims: { 'k\u0000k': 1 } }, 'the body');
      } catch (e) {
        return e as { code: string; message: string };
      }
      throw new Error('expected a refusal');
    })();
    expect(err.code).toBe('ERR_ARGUMENT');
    expect(err.message).toContain('/claims/k\\u0000k');
    expect(isBadText(err.message)).toBe(false);
  });

  it('refuses nesting beyond the limit without recursing, and numbers beyond a double', () => {
    let deep: unknown = 'leaf';
    for (let i = 0; i < 20_000; i++) deep = [deep];
    expect(findBadInput(deep)?.what).toBe('depth');
    let ok: unknown = 'leaf';
    for (let i = 0; i < MAX_INPUT_DEPTH; i++) ok = { a: ok };
    expect(findBadInput(ok)).toBeUndefined();
    expect(findBadInput({ a: [JSON.parse('1e400')] })).toEqual({ path: '/a/0', what: 'number' });
  });

  it('escapes for messages and records', () => {
    expect(escapeText('a\u0000\ud800b')).toBe('a\\u0000\\ud800b');
    expect(isBadText(escapeText('\u0000\udfff'))).toBe(false);
  });
});
