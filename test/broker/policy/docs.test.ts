/** docs/policies.md: its example policy is valid and decides as the text says. */
import { readFileSync } from 'node:fs';
import { expect, test } from 'vitest';
import { decidePolicies, validatePolicy } from '../../../src/broker/policy/index.js';
import { unsafePatternReason } from '../../../src/broker/policy/regex.js';
import { EXAMPLE_POLICY, goodClaims, NOW } from './example.js';

const doc = readFileSync(new URL('../../../docs/policies.md', import.meta.url), 'utf8');
const blocks = [...doc.matchAll(/```json\n([\s\S]*?)```/g)].map((m) => JSON.parse(m[1]!));

test('the example policy of docs/policies.md is docs/policies.md example and validates', () => {
  const policies = blocks.filter((b) => 'rules' in b);
  expect(policies).toHaveLength(1);
  const p = validatePolicy({ ...policies[0], keys: ['key-1'] });
  expect(p).toEqual(EXAMPLE_POLICY);
  expect(decidePolicies([p], goodClaims(), NOW)).toMatchObject({ decision: 'manual', approval: { approvers: 2, ttlSeconds: 3600 } });
});

test('the patterns the text calls fine or refused are', () => {
  for (const ok of ['[a-z0-9-]{1,63}', 'projects/[^/]+/zones/[^/]+', '(west|central)', 'eu-.*']) expect(unsafePatternReason(ok)).toBeNull();
  for (const bad of ['\\1', '(?<n>a)\\k<n>', '(?=a)', '(?<=a)', '(a+)+', '(a|ab)*', '.*-.*-.*'])
    expect(unsafePatternReason(bad)).not.toBeNull();
});
