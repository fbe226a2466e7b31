/**
 * `allIn` (docs/policies.md): every value a claim holds is in an allowlist that may keep
 * several versions, as a list or as lists by key (tpm.ima: path -> hashes), and the trace marks
 * claims from TPM evidence `trust: tpm`.
 */
import { describe, expect, test } from 'vitest';
import { evaluateRules } from '../../../src/broker/policy/evaluate.js';
import { validatePolicy, type Rule } from '../../../src/broker/policy/index.js';

const NOW = new Date('2026-01-01T00:00:00Z');
const v1 = 'sha256:' + '11'.repeat(32);
const v2 = 'sha256:' + '22'.repeat(32);
const evil = 'sha256:' + 'ee'.repeat(32);

function rules(r: unknown): Rule {
  return validatePolicy({ name: 'p', keys: ['k'], devices: { groups: ['g'] }, rules: r, approval: { mode: 'auto' } }).rules;
}
const claims = (ima: unknown, extra: Record<string, unknown> = {}) => ({ tpm: { verified: true, ima, ...extra } });

describe('allIn', () => {
  const byPath = rules({ claim: 'tpm.ima', allIn: { '/usr/bin/app': [v1, v2], '/usr/lib/libc.so.6': [v1] } });
  test.each([
    ['every file measured at an allowed version', { '/usr/bin/app': [v1], '/usr/lib/libc.so.6': [v1] }, true],
    ['an older and a newer version both listed', { '/usr/bin/app': [v1, v2] }, true],
    ['one hash not listed', { '/usr/bin/app': [v1, evil] }, false],
    ['a file the allowlist does not name', { '/usr/bin/app': [v1], '/tmp/dropper': [v1] }, false],
    ['a key named like an Object prototype member', { constructor: [v1] }, false],
    ['no file at all', {}, false],
    ['not an object', [v1], false],
  ])('by path: %s', (_why, ima, allowed) => {
    expect(evaluateRules('p', byPath, claims(ima), NOW).allowed).toBe(allowed);
  });

  test('a list: a scalar claim, or every element of an array claim', () => {
    const list = rules({ claim: 'tpm.ima./usr/lib/libc.so.6', allIn: [v1, v2] });
    expect(evaluateRules('p', list, claims({ '/usr/lib/libc.so.6': [v2, v1] }), NOW).allowed).toBe(true);
    expect(evaluateRules('p', list, claims({ '/usr/lib/libc.so.6': [v2, evil] }), NOW).allowed).toBe(false);
    expect(evaluateRules('p', list, claims({ '/usr/lib/libc.so.6': [] }), NOW).allowed).toBe(false);
    const scalar = rules({ claim: 'tpm.kernelCmdline', allIn: ['ro quiet', 'ro quiet lockdown=integrity'] });
    expect(evaluateRules('p', scalar, claims({}, { kernelCmdline: 'ro quiet' }), NOW).allowed).toBe(true);
    expect(evaluateRules('p', scalar, claims({}, { kernelCmdline: 'ro quiet init=/bin/sh' }), NOW).allowed).toBe(false);
  });

  test('a failed tpm.* leaf is marked trust: tpm in the trace; others are not', () => {
    const r = rules({
      allOf: [
        { claim: 'tpm.ima', allIn: { '/usr/bin/app': [v1] } },
        { claim: 'identity.region', equals: 'eu' },
      ],
    });
    const { allowed, trace } = evaluateRules('p', r, claims({ '/usr/bin/app': [evil] }), NOW);
    expect(allowed).toBe(false);
    expect(trace).toEqual([
      expect.objectContaining({ claim: 'tpm.ima', trust: 'tpm', actual: { '/usr/bin/app': [evil] } }),
      expect.objectContaining({ claim: 'identity.region', actual: 'missing' }),
    ]);
    expect(trace[1]).not.toHaveProperty('trust');
  });

  test.each([
    [[], /non-empty/],
    [{}, /1 to 4096 keys/],
    ['sha256:x', /array of allowed values/],
    [{ '/a': 'sha256:x' }, /key "\/a" must be a non-empty array/],
    [[{ nested: 1 }], /allIn\[0\]: must be a string/],
    [Array.from({ length: 16_385 }, (_, i) => `v${i}`), /more than 16384 values/],
  ])('refuses the allowlist %j when the policy is written', (allIn, why) => {
    expect(() => rules({ claim: 'tpm.ima', allIn })).toThrow(why);
  });

  test('tpm is a claim root a policy may name; the agent cannot send it (its claims are identity and integrity)', () => {
    expect(() => rules({ claim: 'tpm.verified', equals: true })).not.toThrow();
    expect(() => rules({ claim: 'tpm', equals: true })).toThrow(/"tpm" is an object/);
  });
});
