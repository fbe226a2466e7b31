/**
 * Evaluates a validated rule tree against a request's claims, with the per-leaf trace of
 * docs/policies.md "How the broker decides": every leaf that failed, with its path, claim, expected operator and value, and
 * what the request had ("missing" when the claim was absent).
 */
import { lookupClaim, MISSING } from './claims.js';
import { applyOperator } from './operators.js';
import { OPERATORS, type Claims, type Leaf, type Operator, type Reason, type Rule } from './types.js';

function operatorOf(leaf: Leaf): Operator {
  return OPERATORS.find((op) => Object.prototype.hasOwnProperty.call(leaf, op))!;
}

interface Walk {
  policy: string;
  claims: Claims;
  now: Date;
  trace: Reason[];
}

/**
 * `negated` is the parity of the `not`s above this node. A leaf "fails" when its effective
 * outcome is false: a plain leaf that tests false, or a leaf under one `not` that tests true
 * (its expected value is then reported as `{ not: {...} }`). Combinators do not short-circuit,
 * so the trace names every failed leaf, not just the first.
 */
function walk(rule: Rule, path: string, negated: boolean, w: Walk): boolean {
  if ('allOf' in rule) {
    const results = rule.allOf.map((r, i) => walk(r, `${path}.allOf[${i}]`, negated, w));
    return results.every(Boolean);
  }
  if ('anyOf' in rule) {
    const results = rule.anyOf.map((r, i) => walk(r, `${path}.anyOf[${i}]`, negated, w));
    return results.some(Boolean);
  }
  if ('not' in rule) return !walk(rule.not, `${path}.not`, !negated, w);

  const op = operatorOf(rule);
  const operand = (rule as Record<string, unknown>)[op];
  const value = lookupClaim(w.claims, rule.claim);
  // A missing claim makes its leaf false; `exists: false` is the one test a missing claim passes.
  const result = value === MISSING ? op === 'exists' && operand === false : applyOperator(op, operand, value, w.now);
  if (result === negated) {
    const expected = { [op]: operand };
    w.trace.push({
      policy: w.policy,
      rule: path,
      claim: rule.claim,
      expected: negated ? { not: expected } : expected,
      actual: value === MISSING ? 'missing' : value,
      // Claims under tpm come from verified TPM evidence only (devices/tpm.ts), never from the agent's word.
      ...(rule.claim.startsWith('tpm.') ? { trust: 'tpm' as const } : {}),
    });
  }
  return result;
}

/** Evaluates `rules` (already validated) for `claims` at `now`. */
export function evaluateRules(policyName: string, rules: Rule, claims: Claims, now: Date): { allowed: boolean; trace: Reason[] } {
  const w: Walk = { policy: policyName, claims, now, trace: [] };
  const allowed = walk(rules, 'rules', false, w);
  return { allowed, trace: w.trace };
}
