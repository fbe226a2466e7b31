/** Which policies bind a request, and the decision over all of them (docs/policies.md). */
import { evaluateRules } from './evaluate.js';
import { APPROVAL_DEFAULTS, type Claims, type Policy, type Reason } from './types.js';

/** True when `policy` names this key and this device (by id or by one of its groups). */
export function policyBinds(policy: Policy, target: { deviceId: string; deviceGroups: readonly string[]; keyId: string }): boolean {
  const devices = policy.devices;
  if (!policy.keys.includes(target.keyId) || !devices) return false;
  if (devices.ids?.includes(target.deviceId)) return true;
  return target.deviceGroups.some((g) => devices.groups?.includes(g) ?? false);
}

/** True when an XKS policy names this key and this keystore (docs/xks.md). */
export function xksPolicyBinds(policy: Policy, target: { keystoreId: string; keyId: string }): boolean {
  return policy.keys.includes(target.keyId) && (policy.xks?.keystores.includes(target.keystoreId) ?? false);
}

export interface Decision {
  decision: 'release' | 'manual' | 'denied';
  /** The policy whose rules allowed the request (release or manual). */
  policy?: string;
  /**
   * For manual: how many distinct approvers, how long the request waits for them, and the
   * policy that set the requirement (the strictest binding policy, not always `policy`).
   */
  approval?: { approvers: number; ttlSeconds: number; policy: string };
  /**
   * Denied: every failed leaf of every policy (or the single "no policy" reason).
   * Release or manual: the failed leaves of the allowing policy that did not stop it
   * (e.g. the losing branch of an anyOf), for the audit record.
   */
  reasons: Reason[];
}

/** The reason of a request that no policy binds. */
export const NO_POLICY_REASON: Reason = {
  policy: '',
  rule: 'no policy',
  claim: '',
  expected: 'a policy that binds this device and key',
  actual: 'no policy',
};

/** Distinct approvers a release under this policy needs: 0 when automatic. */
export function approversOf(policy: Policy): number {
  return policy.approval.mode === 'manual' ? (policy.approval.approvers ?? APPROVAL_DEFAULTS.approvers) : 0;
}

/**
 * The binding policy with the strictest approval: manual over automatic, then the most
 * approvers; ties go to the first in the list. Every binding policy counts, whether its
 * rules pass or not, so that adding a lenient policy next to a strict one lowers nothing.
 */
export function strictestPolicy(policies: readonly Policy[]): Policy | undefined {
  return policies.reduce<Policy | undefined>((best, p) => (best === undefined || approversOf(p) > approversOf(best) ? p : best), undefined);
}

/**
 * Decides over the policies that bind the request (filter them with policyBinds first).
 * The rules: one allowing policy is enough (the strictest one when it allows, else the first
 * that does). The approval: the strictest binding policy's (strictestPolicy), so an
 * automatic policy never releases a key that a manual one covers for the same device.
 */
export function decidePolicies(policies: readonly Policy[], claims: Claims, now: Date): Decision {
  const strictest = strictestPolicy(policies);
  if (strictest === undefined) return { decision: 'denied', reasons: [{ ...NO_POLICY_REASON }] };
  const results = policies.map((policy) => ({ policy, ...evaluateRules(policy.name, policy.rules, claims, now) }));
  const allowing = results.find((r) => r.allowed && r.policy === strictest) ?? results.find((r) => r.allowed);
  if (!allowing) return { decision: 'denied', reasons: results.flatMap((r) => r.trace) };
  const approvers = approversOf(strictest);
  if (approvers === 0) return { decision: 'release', policy: allowing.policy.name, reasons: allowing.trace };
  return {
    decision: 'manual',
    policy: allowing.policy.name,
    approval: { approvers, ttlSeconds: strictest.approval.ttlSeconds ?? APPROVAL_DEFAULTS.ttlSeconds, policy: strictest.name },
    reasons: allowing.trace,
  };
}
