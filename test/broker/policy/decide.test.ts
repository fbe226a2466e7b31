import { describe, expect, test } from 'vitest';
import { decidePolicies, policyBinds, validatePolicy, type Policy } from '../../../src/broker/policy/index.js';
import { EXAMPLE_POLICY, goodClaims, NOW } from './example.js';

function policy(name: string, rules: unknown, approval: unknown, devices: unknown = { groups: ['prod-db'] }): Policy {
  return validatePolicy({ name, keys: ['key-1'], devices, rules, approval });
}
const pass = { claim: 'integrity.firewall', equals: true };
const failing = { claim: 'integrity.firewall', equals: false };

describe('policyBinds', () => {
  const p = policy('p', pass, { mode: 'auto' }, { groups: ['prod-db', 'prod-web'], ids: ['dev-9'] });
  test.each([
    [{ deviceId: 'dev-1', deviceGroups: ['prod-web'], keyId: 'key-1' }, true],
    [{ deviceId: 'dev-9', deviceGroups: [], keyId: 'key-1' }, true],
    [{ deviceId: 'dev-1', deviceGroups: ['staging'], keyId: 'key-1' }, false],
    [{ deviceId: 'dev-9', deviceGroups: ['prod-db'], keyId: 'key-2' }, false],
  ])('%j -> %s', (target, expected) => {
    expect(policyBinds(p, target)).toBe(expected);
  });
});

describe('decidePolicies', () => {
  test('no bound policy: denied, reason "no policy"', () => {
    const d = decidePolicies([], goodClaims(), NOW);
    expect(d.decision).toBe('denied');
    expect(d.reasons).toHaveLength(1);
    expect(d.reasons[0]!.actual).toBe('no policy');
  });

  test('docs/policies.md example asks for two approvers for an hour', () => {
    const d = decidePolicies([validatePolicy(EXAMPLE_POLICY)], goodClaims(), NOW);
    expect(d).toMatchObject({ decision: 'manual', policy: 'prod-db-volumes', approval: { approvers: 2, ttlSeconds: 3600 } });
  });

  test('the strictest bound policy sets the approval: an allowing auto policy does not release what a manual one covers', () => {
    const manual = policy('manual', pass, { mode: 'manual' });
    const auto = policy('auto', pass, { mode: 'auto' });
    for (const list of [
      [manual, auto],
      [auto, manual],
    ]) {
      expect(decidePolicies(list, goodClaims(), NOW)).toMatchObject({
        decision: 'manual',
        policy: 'manual',
        approval: { approvers: 1, policy: 'manual' },
      });
    }
    expect(decidePolicies([auto], goodClaims(), NOW)).toMatchObject({ decision: 'release', policy: 'auto' });
  });

  test('a refusing manual policy still sets the approval of a request another policy allows', () => {
    const d = decidePolicies(
      [policy('auto', pass, { mode: 'auto' }), policy('manual', failing, { mode: 'manual', approvers: 2, ttlSeconds: 60 })],
      goodClaims(),
      NOW,
    );
    expect(d).toEqual({ decision: 'manual', policy: 'auto', approval: { approvers: 2, ttlSeconds: 60, policy: 'manual' }, reasons: [] });
  });

  test('a refusing auto policy does not block an allowing manual one; defaults apply', () => {
    const d = decidePolicies([policy('auto', failing, { mode: 'auto' }), policy('manual', pass, { mode: 'manual' })], goodClaims(), NOW);
    expect(d).toEqual({
      decision: 'manual',
      policy: 'manual',
      approval: { approvers: 1, ttlSeconds: 3600, policy: 'manual' },
      reasons: [],
    });
  });

  test('among manual policies the one needing the most approvers sets the requirement, with its ttl', () => {
    const three = policy('three', pass, { mode: 'manual', approvers: 3, ttlSeconds: 120 });
    const two = policy('two', pass, { mode: 'manual', approvers: 2, ttlSeconds: 60 });
    expect(decidePolicies([two, three], goodClaims(), NOW)).toMatchObject({
      policy: 'three',
      approval: { approvers: 3, ttlSeconds: 120, policy: 'three' },
    });
  });

  test('denied: the reasons of every bound policy, each naming its policy', () => {
    const d = decidePolicies([policy('a', failing, { mode: 'auto' }), policy('b', { not: pass }, { mode: 'manual' })], goodClaims(), NOW);
    expect(d.decision).toBe('denied');
    expect(d.policy).toBeUndefined();
    expect(d.reasons).toEqual([
      { policy: 'a', rule: 'rules', claim: 'integrity.firewall', expected: { equals: false }, actual: true },
      { policy: 'b', rule: 'rules.not', claim: 'integrity.firewall', expected: { not: { equals: true } }, actual: true },
    ]);
  });
});
