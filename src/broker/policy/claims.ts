/**
 * Claim lookup by dotted path. Only own properties of plain objects are followed, so a path
 * such as "identity.constructor" or "identity.__proto__" finds nothing on a prototype.
 */

/** What a lookup returns for a claim that is not there. */
export const MISSING: unique symbol = Symbol('missing');

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function own(obj: Record<string, unknown>, key: string): unknown {
  return Object.prototype.hasOwnProperty.call(obj, key) ? obj[key] : MISSING;
}

/** Plain nesting: every segment is one key. */
function nested(obj: unknown, segments: readonly string[]): unknown {
  let cur: unknown = obj;
  for (const s of segments) {
    if (!isRecord(cur)) return MISSING;
    cur = own(cur, s);
    if (cur === MISSING) return MISSING;
  }
  return cur;
}

/**
 * Attestation claims are named by their issuer, and some contain dots themselves
 * ("google.compute_engine.instance_id" nested in a GCE token, "kubernetes.io" as one key in a
 * Kubernetes token). Try every split of the remaining segments into keys, the shortest key
 * first (so plain nesting wins), then longer literal keys, down to the whole rest as one key.
 * The walk only descends into keys that exist, so its work is bounded by the token's shape.
 */
function anySplit(obj: unknown, segments: readonly string[]): unknown {
  if (segments.length === 0) return obj;
  if (!isRecord(obj)) return MISSING;
  for (let take = 1; take <= segments.length; take++) {
    const next = own(obj, segments.slice(0, take).join('.'));
    if (next === MISSING) continue;
    const found = anySplit(next, segments.slice(take));
    if (found !== MISSING) return found;
  }
  return MISSING;
}

/** The claim at `path` ("identity.region", "attested.gce.google.compute_engine.instance_id"), or MISSING. */
export function lookupClaim(claims: unknown, path: string): unknown {
  const segments = path.split('.');
  if (segments[0] === 'attested' && segments.length > 2) {
    const issuerClaims = nested(claims, segments.slice(0, 2));
    return anySplit(issuerClaims, segments.slice(2));
  }
  // tpm.ima.<file path>: a path may hold dots ("/usr/lib/libc.so.6").
  if (segments[0] === 'tpm' && segments.length > 2 && segments[1] === 'ima') {
    return anySplit(nested(claims, segments.slice(0, 2)), segments.slice(2));
  }
  return nested(claims, segments);
}
