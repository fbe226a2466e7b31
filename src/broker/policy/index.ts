/** The release-policy engine: pure functions, no I/O. */
export { validatePolicy } from './validate.js';
export { evaluateRules } from './evaluate.js';
export { policyBinds, xksPolicyBinds, decidePolicies, strictestPolicy, approversOf, NO_POLICY_REASON, type Decision } from './decide.js';
export { lookupClaim, MISSING } from './claims.js';
export { APPROVAL_DEFAULTS, LIMITS, OPERATORS, CLAIM_ROOTS } from './types.js';
export type { Policy, Rule, Leaf, Reason, Claims, Approval, Operator, Scalar } from './types.js';
