/**
 * The policy schema, checked on every write. Written by hand rather than as JSON Schema so that
 * the error names the exact path of the first fault in the grammar's own terms
 * ("rules.allOf[3].anyOf[0].matches"), and so that the result is a fresh copy holding only
 * the known fields.
 */
import { SectorCryptError } from '../../errors.js';
import { checkOperand } from './operators.js';
import {
  CLAIM_ROOTS,
  LIMITS,
  OPERATORS,
  type Approval,
  type Assurance,
  type Leaf,
  type Operator,
  type Policy,
  type Rule,
} from './types.js';

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const MAX_ID_LENGTH = 128;
const MAX_APPROVERS = 16;
const MAX_TTL_SECONDS = 30 * 86_400;
/** A sign-in at most a day old: longer is no assurance. */
const MAX_ASSURANCE_MINUTES = 1440;
const COMBINATORS = ['allOf', 'anyOf', 'not'] as const;

/** Carries the path of the first fault up to validatePolicy. */
class Invalid {
  constructor(
    readonly path: string,
    readonly why: string,
  ) {}
}

function fail(path: string, why: string): never {
  throw new Invalid(path, why);
}

function isObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

function has(obj: Record<string, unknown>, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(obj, key);
}

function join(path: string, key: string): string {
  return path === '' ? key : `${path}.${key}`;
}

/** Refuses unknown keys (additionalProperties: false) and missing required ones. */
function shape(obj: Record<string, unknown>, path: string, allowed: readonly string[], required: readonly string[]): void {
  for (const key of Object.keys(obj)) if (!allowed.includes(key)) fail(join(path, key), 'is not an allowed property');
  for (const key of required) if (!has(obj, key)) fail(join(path, key), 'is required');
}

function idList(v: unknown, path: string, minItems: number): string[] {
  if (!Array.isArray(v)) fail(path, 'must be an array of strings');
  if (v.length < minItems || v.length > LIMITS.maxBindings) fail(path, `must have ${minItems} to ${LIMITS.maxBindings} entries`);
  return v.map((x, i) => {
    if (typeof x !== 'string' || x.length === 0 || x.length > MAX_ID_LENGTH)
      fail(`${path}[${i}]`, `must be a string of 1 to ${MAX_ID_LENGTH} characters`);
    return x;
  });
}

function claimPath(v: unknown, path: string): string {
  if (typeof v !== 'string' || v.length === 0 || v.length > LIMITS.maxClaimPathLength) {
    fail(path, `must be a dotted path of 1 to ${LIMITS.maxClaimPathLength} characters`);
  }
  const segments = v.split('.');
  if (segments.length > LIMITS.maxClaimSegments) fail(path, `has more than ${LIMITS.maxClaimSegments} segments`);
  if (segments.some((s) => s === '')) fail(path, 'has an empty segment');
  const root = segments[0]!;
  if (!(CLAIM_ROOTS as readonly string[]).includes(root)) fail(path, `must start with one of ${CLAIM_ROOTS.join(', ')}`);
  if (root === 'resource' && segments.length > 1) fail(path, '"resource" is a string and has no fields');
  if (root !== 'resource' && segments.length < 2) fail(path, `"${root}" is an object: name one of its claims`);
  return v;
}

function leaf(obj: Record<string, unknown>, path: string): Leaf {
  const out: Record<string, unknown> = {};
  let op: Operator | undefined;
  for (const key of Object.keys(obj)) {
    if (key === 'claim') continue;
    if (!(OPERATORS as readonly string[]).includes(key)) fail(join(path, key), 'is not an operator or combinator');
    if (op !== undefined) fail(join(path, key), `a leaf has one operator (it already has "${op}")`);
    op = key as Operator;
  }
  if (!has(obj, 'claim')) fail(join(path, 'claim'), 'is required');
  out.claim = claimPath(obj.claim, join(path, 'claim'));
  if (op === undefined) fail(path, `needs one operator: ${OPERATORS.join(', ')}`);
  const why = checkOperand(op, obj[op]);
  if (why !== null) {
    const element = /^(\[\d+\]) (.*)$/.exec(why);
    if (element) fail(`${join(path, op)}${element[1]}`, element[2]!);
    fail(join(path, op), why);
  }
  const value = obj[op];
  // A copy: arrays and an allowlist's object (validated above: plain JSON) are not kept by reference.
  out[op] = Array.isArray(value) || (value !== null && typeof value === 'object') ? structuredClone(value) : value;
  return out as Leaf;
}

function rule(v: unknown, path: string, depth: number, budget: { nodes: number }): Rule {
  if (!isObject(v)) fail(path, 'must be an object: a leaf {claim, <operator>} or one of allOf, anyOf, not');
  if (depth > LIMITS.maxDepth) fail(path, `nests deeper than ${LIMITS.maxDepth} levels`);
  if (++budget.nodes > LIMITS.maxNodes) fail(path, `the rules have more than ${LIMITS.maxNodes} nodes`);
  const combinator = COMBINATORS.find((c) => has(v, c));
  if (combinator === undefined) return leaf(v, path);
  for (const key of Object.keys(v)) if (key !== combinator) fail(join(path, key), `is not allowed beside "${combinator}"`);
  const inner = v[combinator];
  if (combinator === 'not') return { not: rule(inner, join(path, 'not'), depth + 1, budget) };
  const at = join(path, combinator);
  if (!Array.isArray(inner)) fail(at, 'must be an array of rules');
  if (inner.length === 0 || inner.length > LIMITS.maxItems) fail(at, `must have 1 to ${LIMITS.maxItems} rules`);
  const list = inner.map((r, i) => rule(r, `${at}[${i}]`, depth + 1, budget));
  return combinator === 'allOf' ? { allOf: list } : { anyOf: list };
}

function approval(v: unknown, path: string): Approval {
  if (!isObject(v)) fail(path, 'must be an object');
  shape(v, path, ['mode', 'approvers', 'ttlSeconds', 'assurance'], ['mode']);
  if (v.mode !== 'auto' && v.mode !== 'manual') fail(join(path, 'mode'), 'must be "auto" or "manual"');
  if (v.mode === 'auto') {
    for (const key of ['approvers', 'ttlSeconds', 'assurance']) if (has(v, key)) fail(join(path, key), 'applies to manual approval only');
    return { mode: 'auto' };
  }
  const out: Approval = { mode: 'manual' };
  if (has(v, 'approvers')) {
    const n = v.approvers;
    if (!Number.isSafeInteger(n) || (n as number) < 1 || (n as number) > MAX_APPROVERS)
      fail(join(path, 'approvers'), `must be an integer from 1 to ${MAX_APPROVERS}`);
    out.approvers = n as number;
  }
  if (has(v, 'ttlSeconds')) {
    const n = v.ttlSeconds;
    if (!Number.isSafeInteger(n) || (n as number) < 1 || (n as number) > MAX_TTL_SECONDS)
      fail(join(path, 'ttlSeconds'), `must be an integer from 1 to ${MAX_TTL_SECONDS}`);
    out.ttlSeconds = n as number;
  }
  if (has(v, 'assurance')) out.assurance = assurance(v.assurance, join(path, 'assurance'));
  return out;
}

function assurance(v: unknown, path: string): Assurance {
  if (!isObject(v)) fail(path, 'must be an object');
  shape(v, path, ['secondFactor', 'maxAgeMinutes'], []);
  const out: Assurance = {};
  if (has(v, 'secondFactor')) {
    if (typeof v.secondFactor !== 'boolean') fail(join(path, 'secondFactor'), 'must be true or false');
    out.secondFactor = v.secondFactor;
  }
  if (has(v, 'maxAgeMinutes')) {
    const n = v.maxAgeMinutes;
    if (!Number.isSafeInteger(n) || (n as number) < 1 || (n as number) > MAX_ASSURANCE_MINUTES)
      fail(join(path, 'maxAgeMinutes'), `must be an integer from 1 to ${MAX_ASSURANCE_MINUTES}`);
    out.maxAgeMinutes = n as number;
  }
  if (out.secondFactor !== true && out.maxAgeMinutes === undefined) fail(path, 'must ask for secondFactor: true or a maxAgeMinutes');
  return out;
}

function devices(v: unknown, path: string): Policy['devices'] {
  if (!isObject(v)) fail(path, 'must be an object');
  shape(v, path, ['groups', 'ids'], []);
  const out: Policy['devices'] = {};
  if (has(v, 'groups')) out.groups = idList(v.groups, join(path, 'groups'), 0);
  if (has(v, 'ids')) out.ids = idList(v.ids, join(path, 'ids'), 0);
  // A policy that names no device would bind nothing: almost certainly a mistake.
  if ((out.groups?.length ?? 0) + (out.ids?.length ?? 0) === 0) fail(path, 'must name at least one group or device id');
  return out;
}

function xks(v: unknown, path: string): NonNullable<Policy['xks']> {
  if (!isObject(v)) fail(path, 'must be an object');
  shape(v, path, ['keystores'], ['keystores']);
  return { keystores: idList(v.keystores, join(path, 'keystores'), 1) };
}

/**
 * Checks a policy document and returns a clean copy of it; throws ERR_POLICY_INVALID naming
 * the path of the first fault (also on the error as `path`).
 */
export function validatePolicy(json: unknown): Policy {
  try {
    if (!isObject(json)) fail('', 'a policy must be a JSON object');
    shape(json, '', ['name', 'keys', 'devices', 'xks', 'rules', 'approval'], ['name', 'keys', 'rules', 'approval']);
    if (typeof json.name !== 'string' || !NAME.test(json.name))
      fail('name', 'must be 1 to 64 letters, digits, ".", "_" or "-", starting with a letter or digit');
    // An agent policy names devices, an XKS policy keystores (docs/xks.md): one or the other.
    if (has(json, 'devices') === has(json, 'xks'))
      fail(has(json, 'xks') ? 'xks' : 'devices', 'a policy binds either devices or xks keystores');
    const keys = idList(json.keys, 'keys', 1);
    const bound = has(json, 'xks') ? { xks: xks(json.xks, 'xks') } : { devices: devices(json.devices, 'devices') };
    const rules = rule(json.rules, 'rules', 1, { nodes: 0 });
    const approved = approval(json.approval, 'approval');
    // KMS waits at most 250 ms for an answer (xks_proxy_api_spec.md "GetKeyMetadata", KMS Considerations): nobody can approve in time.
    if (bound.xks && approved.mode !== 'auto')
      fail('approval.mode', 'an xks policy is approved automatically ("auto"): KMS waits at most 250 ms');
    return { name: json.name, keys, ...bound, rules, approval: approved };
  } catch (e) {
    if (!(e instanceof Invalid)) throw e;
    const where = e.path === '' ? '(root)' : e.path;
    throw Object.assign(new SectorCryptError('ERR_POLICY_INVALID', `invalid policy at ${where}: ${e.why}`), { path: where });
  }
}
