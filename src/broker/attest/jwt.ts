/**
 * Attestation tokens (docs/broker.md "Enrolling agents"): JWTs from issuers the
 * tenant trusts, such as a cloud's instance identity token, checked against the issuer's
 * JWKS. Their claims reach policies as `attested.<issuer name>.<claim>`.
 */
import { createLocalJWKSet, decodeJwt, jwtVerify, type JSONWebKeySet, type JWTPayload } from 'jose';
import { SectorCryptError } from '../../errors.js';
import { JwksFetchError, remoteJwks, type JwksFetchDetail } from './jwks-remote.js';

export interface TrustedIssuer {
  /** The name policies use: `attested.<name>.<claim>` (no dots). */
  name: string;
  /** The `iss` the issuer's tokens carry. */
  issuer: string;
  /** The `aud` required, when the issuer lets the agent ask for one (recommended). */
  audience?: string;
  /** The issuer's keys, inline... */
  jwks?: JSONWebKeySet;
  /** ...or fetched (HTTPS, cached) from here, with the CA of that server when it is not a public one. */
  jwksUri?: string;
  jwksCa?: string;
  /** The admin allowed a jwksUri on loopback, a private network or link-local (jwks-remote.ts). */
  allowPrivateNetwork?: boolean;
}

/** Asymmetric algorithms only: a shared-secret (HS*) or unsigned token proves nothing here. */
const ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519'];
/** Clocks of the cloud issuer and the broker may differ by this much. */
const CLOCK_TOLERANCE_SECONDS = 60;
/** More tokens than this in one request is abuse, not attestation. */
const MAX_TOKENS = 16;

function refuse(why: string, cause?: unknown): never {
  throw new SectorCryptError('ERR_UNAUTHENTICATED', `attestation refused: ${why}`, cause === undefined ? undefined : { cause });
}

/** jose's own failures of a fetched key set (a body that is not a key set, a timeout). */
const KEY_SET_FAILURES = new Set(['ERR_JWKS_INVALID', 'ERR_JWKS_TIMEOUT']);

/**
 * For the audit record of a refused request: why an issuer's key set could not be fetched
 * (the network error's code, the addresses), which the agent is not told. Undefined otherwise.
 */
export function keySetFailure(err: unknown): (JwksFetchDetail & { issuer: string }) | undefined {
  return (err as { jwksFailure?: JwksFetchDetail & { issuer: string } } | undefined)?.jwksFailure;
}

async function verifyOne(jwt: string, candidates: TrustedIssuer[], now: Date): Promise<[TrustedIssuer, JWTPayload]> {
  let lastError: unknown;
  // Several trusted entries may share an `iss` (say, one per audience): the first that verifies wins.
  for (const trusted of candidates) {
    try {
      const keys = trusted.jwks
        ? createLocalJWKSet(trusted.jwks)
        : remoteJwks(trusted.jwksUri!, { ca: trusted.jwksCa, allowPrivateNetwork: trusted.allowPrivateNetwork === true });
      const { payload } = await jwtVerify(jwt, keys, {
        issuer: trusted.issuer,
        ...(trusted.audience !== undefined ? { audience: trusted.audience } : {}),
        algorithms: ALGORITHMS,
        clockTolerance: CLOCK_TOLERANCE_SECONDS,
        currentDate: now,
        requiredClaims: ['exp'], // a token that never expires is not evidence of the present
      });
      return [trusted, payload];
    } catch (e) {
      lastError = e;
    }
  }
  const code = (lastError as { code?: string } | undefined)?.code;
  if (lastError instanceof JwksFetchError || KEY_SET_FAILURES.has(code ?? '')) {
    // One message whatever went wrong on the network: an admin must not learn which internal
    // ports answer from an agent's refusals. The audit record keeps the detail.
    const detail = lastError instanceof JwksFetchError ? lastError.detail : { code: code! };
    const err = new SectorCryptError('ERR_UNAUTHENTICATED', `attestation refused: ${new JwksFetchError(detail).message}`, {
      cause: lastError,
    });
    throw Object.assign(err, { jwksFailure: { issuer: candidates.at(-1)!.name, ...detail } });
  }
  refuse(code === 'ERR_JWT_EXPIRED' ? 'token expired' : `token of ${candidates[0]!.name} does not verify (${code ?? 'error'})`, lastError);
}

/**
 * Verifies every token against the trusted issuer its `iss` names and returns the verified
 * claims by issuer name. An untrusted issuer, a bad signature, an expired or not yet valid
 * token, a wrong audience or two tokens of one issuer: ERR_UNAUTHENTICATED.
 */
export async function verifyAttestations(jwts: string[], issuers: TrustedIssuer[], now: Date): Promise<Record<string, JWTPayload>> {
  if (jwts.length > MAX_TOKENS) refuse(`more than ${MAX_TOKENS} tokens`);
  const out: Record<string, JWTPayload> = Object.create(null);
  for (const jwt of jwts) {
    let iss: unknown;
    try {
      iss = decodeJwt(jwt).iss;
    } catch (e) {
      refuse('not a JWT', e);
    }
    const candidates = issuers.filter((t) => t.issuer === iss);
    if (candidates.length === 0) refuse(`untrusted issuer ${JSON.stringify(iss ?? null)}`);
    const [trusted, payload] = await verifyOne(jwt, candidates, now);
    if (Object.prototype.hasOwnProperty.call(out, trusted.name)) refuse(`two tokens from ${trusted.name}`);
    out[trusted.name] = payload;
  }
  return { ...out };
}
