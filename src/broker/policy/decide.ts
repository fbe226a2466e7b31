/** Which policies bind a request, and the decision over all of them (CUSTODY.md, "Claims and policies"). */
import { evaluateRules } from './evaluate.js';
import { APPROVAL_DEFAULTS, type Claims, type Policy, type Reason } from './types.js';

/** True when `policy` names this key and this device (by id or by one of its groups). */
export function policyBinds(policy: Policy, target: { deviceId: string; deviceGroups: readonly string[]; keyId: string }): boolean {
  if (!policy.keys.includes(target.keyId)) return false;
  if (policy.devices.ids?.includes(target.deviceId)) return true;
  return target.deviceGroups.some((g) => policy.devices.groups?.includes(g) ?? false);
}

export interface Decision {
  decision: 'release' | 'manual' | 'denied';
  /** The policy that allowed the request (release or manual). */
  policy?: string;
  /** For manual: how many distinct approvers, and how long the request waits for them. */
  approval?: { approvers: number; ttlSeconds: number };
  /**
   * Denied: every failed leaf of every policy (or the single "no policy" reason).
   * Release or manual: the failed leaves of the allowing policy that did not stop it
   * (e.g. the losing branch of an anyOf), for the audit record.
   */
  reasons: Reason[];
}

/** The reason of a request that no policy binds. */
export const NO_POLICY_REASON: Reason = { policy: '', rule: 'no policy', claim: '', expected: 'a policy that binds this device and key', actual: 'no policy' };

/**
 * Decides over the policies that bind the request (filter them with policyBinds first).
 * Released when one allows it: an auto policy is preferred; among manual ones, the one that
 * needs the fewest approvers; ties go to the first in the list.
 */
export function decidePolicies(policies: readonly Policy[], claims: Claims, now: Date): Decision {
  if (policies.length === 0) return { decision: 'denied', reasons: [{ ...NO_POLICY_REASON }] };
  const results = policies.map((policy) => ({ policy, ...evaluateRules(policy.name, policy.rules, claims, now) }));
  const allowing = results.filter((r) => r.allowed);
  const auto = allowing.find((r) => r.policy.approval.mode === 'auto');
  if (auto) return { decision: 'release', policy: auto.policy.name, reasons: auto.trace };
  const approvers = (p: Policy) => p.approval.approvers ?? APPROVAL_DEFAULTS.approvers;
  const manual = allowing.reduce<(typeof allowing)[number] | undefined>((best, r) => (best === undefined || approvers(r.policy) < approvers(best.policy) ? r : best), undefined);
  if (manual) {
    return {
      decision: 'manual',
      policy: manual.policy.name,
      approval: { approvers: approvers(manual.policy), ttlSeconds: manual.policy.approval.ttlSeconds ?? APPROVAL_DEFAULTS.ttlSeconds },
      reasons: manual.trace,
    };
  }
  return { decision: 'denied', reasons: results.flatMap((r) => r.trace) };
}
