import { describe, expect, test } from 'vitest';
import { validatePolicy } from '../../../src/broker/policy/index.js';
import { EXAMPLE_POLICY } from './example.js';

/** The message of the ERR_POLICY_INVALID that `json` raises (fails the test if none). */
function refusal(json: unknown): { path: string; message: string } {
  try {
    validatePolicy(json);
  } catch (e) {
    const err = e as { code: string; message: string; path: string };
    expect(err.code).toBe('ERR_POLICY_INVALID');
    return { path: err.path, message: err.message };
  }
  throw new Error('the policy was accepted');
}

function withRules(rules: unknown, approval: unknown = { mode: 'auto' }): unknown {
  return { ...EXAMPLE_POLICY, rules, approval };
}

describe('validatePolicy', () => {
  test('accepts docs/policies.md example and returns an equal, separate copy', () => {
    const p = validatePolicy(structuredClone(EXAMPLE_POLICY));
    expect(p).toEqual(EXAMPLE_POLICY);
    const input = structuredClone(EXAMPLE_POLICY);
    const out = validatePolicy(input);
    (input.rules.allOf[0] as { in: string[] }).in.push('us-east-1');
    expect((out.rules as { allOf: { in?: string[] }[] }).allOf[0]!.in).toEqual(['eu-west-1', 'eu-central-1']);
  });

  test('names the path of the first error, deep in the rules', () => {
    const rules = {
      allOf: [
        { claim: 'identity.a', equals: 1 },
        { claim: 'identity.b', equals: 1 },
        { claim: 'identity.c', equals: 1 },
        { anyOf: [{ claim: 'identity.d', matches: '(a+)+' }] },
      ],
    };
    const r = refusal(withRules(rules));
    expect(r.path).toBe('rules.allOf[3].anyOf[0].matches');
    expect(r.message).toContain('rules.allOf[3].anyOf[0].matches');
    expect(r.message).toMatch(/nested quantifiers/);
  });

  test.each([
    [{ ...EXAMPLE_POLICY, extra: 1 }, 'extra'],
    [{ ...EXAMPLE_POLICY, name: undefined }, 'name'],
    [{ ...EXAMPLE_POLICY, name: 'has space' }, 'name'],
    [{ ...EXAMPLE_POLICY, keys: [] }, 'keys'],
    [{ ...EXAMPLE_POLICY, keys: ['k', 3] }, 'keys[1]'],
    [{ ...EXAMPLE_POLICY, devices: {} }, 'devices'],
    [{ ...EXAMPLE_POLICY, devices: { groups: ['g'], tags: [] } }, 'devices.tags'],
    [{ ...EXAMPLE_POLICY, approval: { mode: 'sometimes' } }, 'approval.mode'],
    [{ ...EXAMPLE_POLICY, approval: { mode: 'auto', approvers: 2 } }, 'approval.approvers'],
    [{ ...EXAMPLE_POLICY, approval: { mode: 'manual', approvers: 0 } }, 'approval.approvers'],
    [{ ...EXAMPLE_POLICY, approval: { mode: 'manual', ttlSeconds: 1.5 } }, 'approval.ttlSeconds'],
    [withRules({ claim: 'identity.region' }), 'rules'],
    [withRules({ claim: 'identity.region', equals: 'a', notEquals: 'b' }), 'rules.notEquals'],
    [withRules({ claim: 'identity.region', like: 'a' }), 'rules.like'],
    [withRules({ equals: 'a' }), 'rules.claim'],
    [withRules({ claim: 'identiy.region', equals: 'a' }), 'rules.claim'],
    [withRules({ claim: 'identity..region', equals: 'a' }), 'rules.claim'],
    [withRules({ claim: 'resource.x', equals: 'a' }), 'rules.claim'],
    [withRules({ allOf: [] }), 'rules.allOf'],
    [withRules({ allOf: [{ claim: 'identity.a', exists: true }], claim: 'x' }), 'rules.claim'],
    [withRules({ not: [] }), 'rules.not'],
    [withRules({ claim: 'identity.a', in: ['a', {}] }), 'rules.in[1]'],
    [withRules({ claim: 'identity.a', equals: [1] }), 'rules.equals'],
    [withRules({ claim: 'identity.a', less: '5' }), 'rules.less'],
    [withRules({ claim: 'identity.a', exists: 'yes' }), 'rules.exists'],
    [withRules({ claim: 'identity.a', maxAgeSeconds: -1 }), 'rules.maxAgeSeconds'],
    [withRules({ claim: 'request.ip', cidr: '10.0.0.0/33' }), 'rules.cidr'],
    [withRules({ claim: 'request.ip', cidr: '2001:db8::/129' }), 'rules.cidr'],
    [withRules({ claim: 'request.ip', cidr: '10.0.0.0' }), 'rules.cidr'],
    [withRules({ claim: 'identity.a', matches: '(' }), 'rules.matches'],
    [withRules({ claim: 'identity.a', matches: 'x'.repeat(257) }), 'rules.matches'],
    [[], '(root)'],
    [null, '(root)'],
  ])('refuses %j at %s', (json, path) => {
    expect(refusal(json).path).toBe(path);
  });

  test('nesting: depth 8 is accepted, depth 9 refused at the too-deep node', () => {
    let rules: unknown = { claim: 'identity.a', exists: true };
    for (let i = 1; i < 8; i++) rules = { not: rules };
    expect(() => validatePolicy(withRules(rules))).not.toThrow();
    const r = refusal(withRules({ not: rules }));
    expect(r.path).toBe(`rules${'.not'.repeat(8)}`);
  });

  test('a policy with too many nodes is refused', () => {
    const leaves = Array.from({ length: 64 }, (_, i) => ({ claim: `identity.c${i}`, exists: true }));
    const rules = { allOf: Array.from({ length: 5 }, () => ({ allOf: leaves })) };
    expect(refusal(withRules(rules)).message).toMatch(/more than 256 nodes/);
  });

  test('__proto__ and other inherited names are plain unknown keys', () => {
    const json = JSON.parse('{"__proto__": {"x": 1}, "name": "p"}');
    expect(refusal(json).path).toBe('__proto__');
  });
});
