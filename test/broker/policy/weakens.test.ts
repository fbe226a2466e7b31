/** Which policy changes wait for a second admin (src/broker/policy/weakens.ts): what could release a key more easily. */
import { describe, expect, test } from 'vitest';
import { validatePolicy, type Policy } from '../../../src/broker/policy/index.js';
import { policyChangeWeakens, policyDeletionWeakens, rulesAtLeastAsStrict } from '../../../src/broker/policy/weakens.js';

const fw = { claim: 'integrity.firewall', equals: true };
const region = { claim: 'identity.region', equals: 'eu-west-1' };
function policy(over: Record<string, unknown> = {}): Policy {
  return validatePolicy({
    name: 'p',
    keys: ['k1'],
    devices: { groups: ['g'] },
    rules: fw,
    approval: { mode: 'manual', approvers: 2 },
    ...over,
  });
}

describe('policyChangeWeakens', () => {
  test.each<[string, Record<string, unknown> | undefined, Record<string, unknown>]>([
    ['a new policy', undefined, {}],
    ['fewer approvers', {}, { approval: { mode: 'manual', approvers: 1 } }],
    ['manual to auto', {}, { approval: { mode: 'auto' } }],
    ['another key', {}, { keys: ['k1', 'k2'] }],
    ['another group', {}, { devices: { groups: ['g', 'h'] } }],
    ['a device id', {}, { devices: { groups: ['g'], ids: ['dev_1'] } }],
    ['a rule removed', { rules: { allOf: [fw, region] } }, { rules: fw }],
    ['a rule replaced', {}, { rules: region }],
    ['a rule moved under anyOf', {}, { rules: { anyOf: [fw, region] } }],
    ['a manual policy narrowed', { keys: ['k1', 'k2'] }, { keys: ['k1'] }],
  ])('%s weakens', (_what, before, after) => {
    expect(policyChangeWeakens(before ? policy(before) : undefined, policy(after))).toBeDefined();
  });

  test.each<[string, Record<string, unknown>, Record<string, unknown>]>([
    ['nothing', {}, {}],
    ['more approvers', {}, { approval: { mode: 'manual', approvers: 3 } }],
    ['auto to manual', { approval: { mode: 'auto' } }, {}],
    ['a rule added', {}, { rules: { allOf: [fw, region] } }],
    [
      'the same rules in another key order',
      { rules: { allOf: [fw] } },
      { rules: { allOf: [{ equals: true, claim: 'integrity.firewall' }] } },
    ],
    [
      'an automatic policy narrowed',
      { approval: { mode: 'auto' }, keys: ['k1', 'k2'], devices: { groups: ['g', 'h'] } },
      { approval: { mode: 'auto' } },
    ],
  ])('%s does not', (_what, before, after) => {
    expect(policyChangeWeakens(policy(before), policy(after))).toBeUndefined();
  });

  test('deleting a manual policy weakens; deleting an automatic one does not', () => {
    expect(policyDeletionWeakens(policy())).toBeDefined();
    expect(policyDeletionWeakens(policy({ approval: { mode: 'auto' } }))).toBeUndefined();
  });

  test('rulesAtLeastAsStrict keeps every conjunct', () => {
    expect(rulesAtLeastAsStrict({ allOf: [fw, region] }, { allOf: [region, fw] })).toBe(true);
    expect(rulesAtLeastAsStrict({ allOf: [fw, region] }, { allOf: [region] })).toBe(false);
  });
});
