/**
 * The leaf operators: how each checks its value when a policy is written, and how it tests a
 * claim. A claim of the wrong type never matches (it is not coerced): `"5"` is not `less` 10.
 */
import { inCidr, parseCidr } from './cidr.js';
import { anchoredRegExp, unsafePatternReason } from './regex.js';
import { claimTimeMs } from './time.js';
import { LIMITS, type Allowlist, type Operator, type Scalar } from './types.js';

/** A claim time may run ahead of the broker's clock by this much (the signature skew window). */
const FUTURE_SKEW_MS = 300_000;
/** maxAgeSeconds above ten years is a typo rather than a policy. */
const MAX_AGE_LIMIT = 10 * 366 * 86_400;

function isScalar(v: unknown): v is Scalar {
  return v === null || typeof v === 'string' || typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v));
}

function scalarList(v: unknown): string | null {
  if (!Array.isArray(v)) return 'must be an array of strings, numbers, booleans or null';
  if (v.length === 0 || v.length > LIMITS.maxItems) return `must have 1 to ${LIMITS.maxItems} entries`;
  const bad = v.findIndex((x) => !isScalar(x));
  return bad === -1 ? null : `[${bad}] must be a string, number, boolean or null`;
}

function allowlist(v: unknown): string | null {
  const list = (x: unknown): string | null => {
    if (!Array.isArray(x) || x.length === 0) return 'must be a non-empty array of strings, numbers, booleans or null';
    const bad = x.findIndex((y) => !isScalar(y));
    return bad === -1 ? null : `[${bad}] must be a string, number, boolean or null`;
  };
  let values = 0;
  if (Array.isArray(v)) {
    values = v.length;
    const why = list(v);
    if (why) return why;
  } else if (v !== null && typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype) {
    const keys = Object.keys(v);
    if (keys.length === 0 || keys.length > LIMITS.maxAllowlistKeys) return `must have 1 to ${LIMITS.maxAllowlistKeys} keys`;
    for (const k of keys) {
      if (k.length === 0 || k.length > LIMITS.maxAllowlistKeyLength) return `has a key of ${k.length} characters`;
      const why = list((v as Record<string, unknown>)[k]);
      if (why) return `key ${JSON.stringify(k.slice(0, 64))} ${why}`;
      values += ((v as Record<string, unknown[]>)[k] ?? []).length;
    }
  } else {
    return 'must be an array of allowed values, or an object of such arrays by key';
  }
  return values > LIMITS.maxAllowlistValues ? `holds more than ${LIMITS.maxAllowlistValues} values` : null;
}

/** Every value of `claim` (a scalar or an array of scalars) is in `allowed`; an empty array holds none to check and fails. */
function allListed(claim: unknown, allowed: readonly Scalar[]): boolean {
  const values = Array.isArray(claim) ? claim : [claim];
  return values.length > 0 && values.every((c) => isScalar(c) && allowed.some((a) => same(c, a)));
}

function allIn(claim: unknown, operand: Allowlist): boolean {
  if (Array.isArray(operand)) return allListed(claim, operand);
  if (claim === null || typeof claim !== 'object' || Array.isArray(claim)) return false;
  const entries = Object.entries(claim);
  return entries.length > 0 && entries.every(([k, v]) => Object.prototype.hasOwnProperty.call(operand, k) && allListed(v, operand[k]!));
}

function finiteNumber(v: unknown): string | null {
  return typeof v === 'number' && Number.isFinite(v) ? null : 'must be a number';
}

/**
 * Why the operator's value is refused, or null. A message that starts with "[" names an
 * element, so the caller can append it to the path.
 */
export function checkOperand(op: Operator, value: unknown): string | null {
  switch (op) {
    case 'equals':
    case 'notEquals':
      return isScalar(value) ? null : 'must be a string, number, boolean or null';
    case 'in':
    case 'notIn':
      return scalarList(value);
    case 'less':
    case 'lessOrEquals':
    case 'greater':
    case 'greaterOrEquals':
      return finiteNumber(value);
    case 'exists':
      return typeof value === 'boolean' ? null : 'must be true or false';
    case 'matches':
      return typeof value === 'string' ? unsafePatternReason(value) : 'must be a string';
    case 'maxAgeSeconds':
      return Number.isSafeInteger(value) && (value as number) >= 0 && (value as number) <= MAX_AGE_LIMIT
        ? null
        : `must be an integer from 0 to ${MAX_AGE_LIMIT}`;
    case 'cidr':
      return typeof value === 'string' && parseCidr(value) ? null : 'must be an IPv4 or IPv6 prefix such as "10.0.0.0/8"';
    case 'allIn':
      return allowlist(value);
  }
}

/** Scalars compare by value; JSON has no other equality worth having here. */
function same(a: unknown, b: Scalar): boolean {
  return a === b;
}

/** Tests a present claim (not MISSING) against a validated operand. */
export function applyOperator(op: Operator, operand: unknown, claim: unknown, now: Date): boolean {
  switch (op) {
    case 'equals':
      return same(claim, operand as Scalar);
    case 'notEquals':
      return !same(claim, operand as Scalar);
    case 'in':
      return (operand as Scalar[]).some((x) => same(claim, x));
    case 'notIn':
      return !(operand as Scalar[]).some((x) => same(claim, x));
    case 'less':
      return typeof claim === 'number' && claim < (operand as number);
    case 'lessOrEquals':
      return typeof claim === 'number' && claim <= (operand as number);
    case 'greater':
      return typeof claim === 'number' && claim > (operand as number);
    case 'greaterOrEquals':
      return typeof claim === 'number' && claim >= (operand as number);
    case 'exists':
      return operand === true; // the claim is present; `exists: false` wants it absent
    case 'matches':
      return typeof claim === 'string' && claim.length <= LIMITS.maxMatchedLength && anchoredRegExp(operand as string).test(claim);
    case 'maxAgeSeconds': {
      const t = claimTimeMs(claim);
      if (t === null) return false;
      const age = now.getTime() - t;
      return age <= (operand as number) * 1000 && age >= -FUTURE_SKEW_MS;
    }
    case 'cidr':
      return inCidr(claim, operand as string);
    case 'allIn':
      return allIn(claim, operand as Allowlist);
  }
}
