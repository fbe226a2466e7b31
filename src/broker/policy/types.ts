/**
 * The policy grammar of docs/policies.md: which keys and devices a policy
 * binds, the rules over the request's claims, and how a match is approved.
 */

/** A JSON scalar: what `equals`, `in` and their negations compare against. */
export type Scalar = string | number | boolean | null;

export const OPERATORS = [
  'equals',
  'notEquals',
  'in',
  'notIn',
  'less',
  'lessOrEquals',
  'greater',
  'greaterOrEquals',
  'exists',
  'matches',
  'maxAgeSeconds',
  'cidr',
  'allIn',
] as const;

export type Operator = (typeof OPERATORS)[number];

/** `{ claim: "a.b.c", <exactly one operator>: value }`. */
export type Leaf = { claim: string } & (
  | { equals: Scalar }
  | { notEquals: Scalar }
  | { in: Scalar[] }
  | { notIn: Scalar[] }
  | { less: number }
  | { lessOrEquals: number }
  | { greater: number }
  | { greaterOrEquals: number }
  | { exists: boolean }
  | { matches: string }
  | { maxAgeSeconds: number }
  | { cidr: string }
  | { allIn: Allowlist }
);

/**
 * `allIn`'s allowlist: every value the claim holds must be listed, and an allowlist may hold
 * several versions of each. A list of scalars (the claim is a scalar or an array of them), or
 * an object of such lists by key (the claim is an object: every key it has must be listed, and
 * each of its values be in that key's list; `tpm.ima`: file path -> allowed hashes).
 */
export type Allowlist = Scalar[] | Record<string, Scalar[]>;

export type Rule = Leaf | { allOf: Rule[] } | { anyOf: Rule[] } | { not: Rule };

export interface Approval {
  mode: 'auto' | 'manual';
  /** Distinct approvers needed (manual only). */
  approvers?: number;
  /** How long a pending request waits for its approvers (manual only). */
  ttlSeconds?: number;
  /** What each vote's sign-in must show (manual only; docs/policies.md "Approval"). */
  assurance?: Assurance;
}

/** A vote counts only from a sign-in through the tenant's provider that shows this. */
export interface Assurance {
  /** The sign-in's amr or acr shows a second factor (oidc/settings.ts showsSecondFactor). */
  secondFactor?: boolean;
  /** The sign-in (its auth_time) is at most this many minutes old. */
  maxAgeMinutes?: number;
}

export interface Policy {
  name: string;
  keys: string[];
  /** An agent policy binds devices; an XKS policy binds keystores instead (exactly one of the two). */
  devices?: { groups?: string[]; ids?: string[] };
  /** KMS calls through these keystores (docs/xks.md); approval is then automatic only. */
  xks?: { keystores: string[] };
  rules: Rule;
  approval: Approval;
}

/** One failed leaf of a decision's trace (the 403 answer and the audit record carry these). */
export interface Reason {
  policy: string;
  /** Path of the leaf in the policy, e.g. "rules.allOf[2]". */
  rule: string;
  claim: string;
  /** The operator and its value, e.g. `{ in: ["eu-west-1"] }`; `{ not: {...} }` under a `not`. */
  expected: unknown;
  /** The claim's value, or "missing". */
  actual: unknown;
  /** Where the claim comes from, when a policy must tell it apart: `tpm` for claims from verified TPM evidence. */
  trust?: 'tpm';
}

/** The JSON object a policy sees (device, identity, integrity, attested, tpm, request, resource). */
export type Claims = Record<string, unknown>;

/** Limits of the grammar. */
export const LIMITS = {
  /** Combinators nested at most this deep (a leaf alone is depth 1). */
  maxDepth: 8,
  /** Leaves and combinators in one policy. */
  maxNodes: 256,
  /** Members of one allOf / anyOf, or of an in / notIn list. */
  maxItems: 64,
  /** Characters of a `matches` pattern. */
  maxPatternLength: 256,
  /** A claim longer than this never matches a pattern (bounds the regex's work). */
  maxMatchedLength: 256,
  /** Characters of a claim path, and its dotted segments. */
  maxClaimPathLength: 256,
  maxClaimSegments: 16,
  /** Entries in keys, devices.groups, devices.ids. */
  maxBindings: 256,
  /** Values in one `allIn` allowlist (all its lists together), and keys of an allowlist by key. */
  maxAllowlistValues: 16_384,
  maxAllowlistKeys: 4096,
  /** Characters of one allowlist key (a file path). */
  maxAllowlistKeyLength: 4096,
} as const;

/** Defaults for a manual approval that leaves them out. */
export const APPROVAL_DEFAULTS = { approvers: 1, ttlSeconds: 3600 } as const;

/** Claim roots of the table of docs/claims.md "Claims"; any other root is a typo the validator refuses. */
export const CLAIM_ROOTS = ['device', 'identity', 'integrity', 'attested', 'tpm', 'request', 'resource', 'xks'] as const;
