/**
 * Whether a policy change could release a key more easily than before: the changes that wait
 * for a second admin (docs/broker.md "Separation of duties"). A release takes the approval of
 * the strictest binding policy and the rules of any allowing one (decide.ts), so a change
 * is safe only when it covers no new key or device, needs no fewer approvers, and its rules
 * pass no request the old ones refused. The test is conservative: what it cannot prove safe
 * is called weakening.
 */
import { approversOf } from './decide.js';
import type { Assurance, Policy, Rule } from './types.js';

const subset = (a: readonly string[] | undefined, b: readonly string[] | undefined) => (a ?? []).every((x) => (b ?? []).includes(x));
const sameSet = (a: readonly string[] | undefined, b: readonly string[] | undefined) => subset(a, b) && subset(b, a);

/** Canonical JSON (sorted keys), for comparing rules. */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    return `{${Object.keys(v as object)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}

/** The conjuncts of a rule: an allOf's members, or the rule itself. */
function conjuncts(rule: Rule): string[] {
  return 'allOf' in rule ? rule.allOf.map(canonical) : [canonical(rule)];
}

/** True when `after` holds every condition of `before` (it may add more): it passes no more. */
export function rulesAtLeastAsStrict(before: Rule, after: Rule): boolean {
  const kept = new Set(conjuncts(after));
  return conjuncts(before).every((c) => kept.has(c));
}

/** True when `after` asks less of a vote's sign-in than `before` (no second factor, or an older sign-in). */
function assuranceWeaker(before: Assurance | undefined, after: Assurance | undefined): boolean {
  if (!before) return false;
  if (before.secondFactor && !after?.secondFactor) return true;
  if (before.maxAgeMinutes !== undefined && (after?.maxAgeMinutes === undefined || after.maxAgeMinutes > before.maxAgeMinutes)) return true;
  return false;
}

/** Why replacing `before` (absent: a new policy) by `after` weakens a key's release, or undefined when it does not. */
export function policyChangeWeakens(before: Policy | undefined, after: Policy): string | undefined {
  if (!before) return 'a new policy covers keys and devices';
  if (!subset(after.keys, before.keys)) return 'the policy covers more keys';
  if (!subset(after.devices?.groups, before.devices?.groups) || !subset(after.devices?.ids, before.devices?.ids))
    return 'the policy covers more devices';
  if (!subset(after.xks?.keystores, before.xks?.keystores)) return 'the policy covers more XKS keystores';
  if (approversOf(after) < approversOf(before)) return 'the policy needs fewer approvers';
  if (assuranceWeaker(before.approval.assurance, after.approval.assurance)) return "the policy asks less of its approvers' sign-in";
  if (!rulesAtLeastAsStrict(before.rules, after.rules)) return "the policy's rules changed in a way that may pass more requests";
  const sameCoverage =
    sameSet(after.keys, before.keys) &&
    sameSet(after.devices?.groups, before.devices?.groups) &&
    sameSet(after.devices?.ids, before.devices?.ids) &&
    sameSet(after.xks?.keystores, before.xks?.keystores);
  // A manual policy that stops covering a key may leave a more lenient one setting its approval.
  if (!sameCoverage && approversOf(before) > 0) return 'a manual policy stops covering keys or devices';
  return undefined;
}

/** Why deleting `policy` weakens a key's release, or undefined: only a manual policy's deletion can. */
export function policyDeletionWeakens(policy: Policy): string | undefined {
  return approversOf(policy) > 0 ? 'a manual policy is deleted' : undefined;
}
