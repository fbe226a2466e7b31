/** XKS policies (docs/xks.md "Policies"): keystores instead of devices, automatic approval only, xks.* claims; never binding an agent. */
import { describe, expect, test } from 'vitest';
import { decidePolicies, policyBinds, validatePolicy, xksPolicyBinds } from '../../../src/broker/policy/index.js';
import { policyChangeWeakens } from '../../../src/broker/policy/weakens.js';

const base = {
  name: 'kms',
  keys: ['key_1'],
  xks: { keystores: ['xks_a'] },
  rules: { claim: 'xks.awsPrincipalArn', equals: 'arn:aws:iam::1:user/Alice' },
  approval: { mode: 'auto' },
};

function withoutXks(): Record<string, unknown> {
  const { xks: _, ...rest } = base;
  return rest;
}

function refusal(json: unknown): string {
  try {
    validatePolicy(json);
  } catch (e) {
    expect((e as { code: string }).code).toBe('ERR_POLICY_INVALID');
    return (e as Error).message;
  }
  throw new Error('accepted');
}

describe('XKS policies', () => {
  test('validate: xks or devices, never both nor neither; auto approval only; keystores named', () => {
    expect(validatePolicy(base)).toEqual(base);
    expect(refusal({ ...base, devices: { groups: ['g'] } })).toContain('either devices or xks');
    const { xks: _, ...neither } = base;
    expect(refusal(neither)).toContain('either devices or xks');
    expect(refusal({ ...base, approval: { mode: 'manual', approvers: 1 } })).toContain('approval.mode');
    expect(refusal({ ...base, xks: { keystores: [] } })).toContain('xks.keystores');
    expect(refusal({ ...base, xks: { keystores: ['xks_a'], devices: ['d'] } })).toContain('xks.devices');
    expect(refusal({ ...base, rules: { claim: 'xks', exists: true } })).toContain('rules.claim');
  });

  test('an XKS policy binds its keystores only, and never an agent; an agent policy never an XKS call', () => {
    const p = validatePolicy(base);
    expect(xksPolicyBinds(p, { keystoreId: 'xks_a', keyId: 'key_1' })).toBe(true);
    expect(xksPolicyBinds(p, { keystoreId: 'xks_b', keyId: 'key_1' })).toBe(false);
    expect(xksPolicyBinds(p, { keystoreId: 'xks_a', keyId: 'key_2' })).toBe(false);
    expect(policyBinds(p, { deviceId: 'xks_a', deviceGroups: ['xks_a'], keyId: 'key_1' })).toBe(false);
    const agent = validatePolicy({ ...withoutXks(), devices: { groups: ['xks_a'], ids: ['xks_a'] } });
    expect(xksPolicyBinds(agent, { keystoreId: 'xks_a', keyId: 'key_1' })).toBe(false);
  });

  test('decides on the xks claims, with a trace', () => {
    const p = validatePolicy(base);
    const now = new Date();
    expect(decidePolicies([p], { xks: { awsPrincipalArn: 'arn:aws:iam::1:user/Alice' } }, now).decision).toBe('release');
    const no = decidePolicies([p], { xks: { awsPrincipalArn: 'arn:aws:iam::1:user/Bob' } }, now);
    expect(no.decision).toBe('denied');
    expect(no.reasons).toEqual([expect.objectContaining({ claim: 'xks.awsPrincipalArn', actual: 'arn:aws:iam::1:user/Bob' })]);
    expect(decidePolicies([], { xks: {} }, now).decision).toBe('denied');
  });

  test('covering another keystore, or moving from devices to keystores, weakens', () => {
    const p = validatePolicy(base);
    expect(policyChangeWeakens(p, validatePolicy({ ...base, xks: { keystores: ['xks_a', 'xks_b'] } }))).toContain('keystores');
    expect(policyChangeWeakens(p, validatePolicy({ ...base, xks: { keystores: ['xks_a'] } }))).toBeUndefined();
    const agent = validatePolicy({ ...withoutXks(), devices: { groups: ['g'] } });
    expect(policyChangeWeakens(agent, p)).toBeDefined();
    expect(policyChangeWeakens(p, agent)).toBeDefined();
  });
});
