/**
 * Which policies bind a request, and the decision over them (the grammar, the binding rule
 * and the per-leaf trace are src/broker/policy's; this file only loads the tenant's policies).
 */
import type { Sql } from '../store/types.js';
import { policyDocuments } from '../policy/repository.js';
import { decidePolicies, policyBinds, type Policy, type Reason } from '../policy/index.js';

export type { Reason };

export interface Decision {
  decision: 'release' | 'manual' | 'denied';
  policy: string | null;
  approval?: { approvers: number; ttlSeconds: number; policy: string };
  reasons: Reason[];
}

export async function boundPolicies(q: Sql, tenantId: string, keyId: string, deviceId: string, groups: string[]): Promise<Policy[]> {
  return (await policyDocuments(q, tenantId)).filter((p) => policyBinds(p, { deviceId, deviceGroups: groups, keyId }));
}

export function decide(policies: Policy[], claims: Record<string, unknown>, now: Date): Decision {
  const d = decidePolicies(policies, claims, now);
  return { decision: d.decision, policy: d.policy ?? null, approval: d.approval, reasons: d.reasons };
}
