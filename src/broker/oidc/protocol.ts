/**
 * Talking to a tenant's OpenID provider: discovery (OpenID Connect Discovery 1.0 section 4),
 * the token endpoint (RFC 6749 section 4.1.3, with PKCE: RFC 7636 section 4.5), the device
 * authorization grant (RFC 8628 sections 3.1-3.5), and the ID token's checks (OpenID Connect
 * Core 1.0 section 3.1.3.7) with jose: signature against the provider's JWKS, iss, aud (and
 * azp when there are several audiences), exp and iat, nonce, and at_hash when present
 * (section 3.1.3.8). No network call follows a redirect, and each has a deadline.
 */
import { createHash } from 'node:crypto';
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify, type JWTPayload } from 'jose';
import { SectorCryptError } from '../../errors.js';
import { constantTimeEqual } from '../auth/secrets.js';

export interface ProviderMetadata {
  issuer: string;
  authorization_endpoint: string;
  token_endpoint: string;
  jwks_uri: string;
  end_session_endpoint?: string;
  device_authorization_endpoint?: string;
}

const TIMEOUT_MS = 10_000;
const METADATA_SECONDS = 600;
/** Asymmetric algorithms only: a symmetric or `none` ID token is refused (Core 1.0 section 10.1). */
const ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'];
/** Seconds of clock difference allowed with the provider. */
const CLOCK_TOLERANCE = 60;

function refuse(message: string): never {
  throw new SectorCryptError('ERR_UNAUTHENTICATED', `the provider's answer was refused: ${message}`);
}

/**
 * An issuer or endpoint URL: https, or http on a loopback address (a provider on the broker's
 * own host, e.g. in tests); no credentials, query or fragment in an issuer.
 */
export function checkProviderUrl(value: string, what: string, issuer = false): URL {
  let u: URL;
  try {
    u = new URL(value);
  } catch {
    throw new SectorCryptError('ERR_ARGUMENT', `${what} is not a URL`);
  }
  const loopback = u.hostname === '127.0.0.1' || u.hostname === '[::1]' || u.hostname === 'localhost';
  if (u.protocol !== 'https:' && !(u.protocol === 'http:' && loopback))
    throw new SectorCryptError('ERR_ARGUMENT', `${what} must be https (http only on a loopback address)`);
  if (u.username || u.password) throw new SectorCryptError('ERR_ARGUMENT', `${what} must not hold credentials`);
  if (issuer && (u.search || u.hash)) throw new SectorCryptError('ERR_ARGUMENT', `${what} must have no query or fragment`);
  return u;
}

async function getJson(url: string, init?: RequestInit): Promise<{ status: number; body: Record<string, unknown> }> {
  let res: Response;
  try {
    res = await fetch(url, { ...init, redirect: 'error', signal: AbortSignal.timeout(TIMEOUT_MS) });
  } catch (cause) {
    throw new SectorCryptError('ERR_IO', `the provider did not answer (${new URL(url).origin})`, { cause });
  }
  const text = await res.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    refuse(`${new URL(url).pathname} did not answer JSON (HTTP ${res.status})`);
  return { status: res.status, body: body as Record<string, unknown> };
}

const metadataCache = new Map<string, { at: number; meta: ProviderMetadata }>();
const jwksCache = new Map<string, ReturnType<typeof createRemoteJWKSet>>();

/** The provider's metadata; its issuer must be the configured one exactly (Discovery 1.0 section 4.3). */
export async function discover(issuer: string): Promise<ProviderMetadata> {
  const hit = metadataCache.get(issuer);
  if (hit && Date.now() - hit.at < METADATA_SECONDS * 1000) return hit.meta;
  const { status, body } = await getJson(`${issuer.replace(/\/$/, '')}/.well-known/openid-configuration`);
  if (status !== 200) refuse(`discovery answered HTTP ${status}`);
  if (body.issuer !== issuer) refuse('the discovery document names another issuer');
  const str = (k: string, required: boolean): string | undefined => {
    const v = body[k];
    if (v === undefined && !required) return undefined;
    if (typeof v !== 'string') refuse(`discovery has no ${k}`);
    checkProviderUrl(v, k);
    return v;
  };
  const meta: ProviderMetadata = {
    issuer,
    authorization_endpoint: str('authorization_endpoint', true)!,
    token_endpoint: str('token_endpoint', true)!,
    jwks_uri: str('jwks_uri', true)!,
    ...(body.end_session_endpoint !== undefined ? { end_session_endpoint: str('end_session_endpoint', false)! } : {}),
    ...(body.device_authorization_endpoint !== undefined
      ? { device_authorization_endpoint: str('device_authorization_endpoint', false)! }
      : {}),
  };
  metadataCache.set(issuer, { at: Date.now(), meta });
  return meta;
}

/** Forgets what was learnt about an issuer (its configuration changed). */
export function forgetProvider(issuer: string): void {
  const meta = metadataCache.get(issuer)?.meta;
  metadataCache.delete(issuer);
  if (meta) jwksCache.delete(meta.jwks_uri);
}

function jwks(meta: ProviderMetadata) {
  let set = jwksCache.get(meta.jwks_uri);
  if (!set) {
    set = createRemoteJWKSet(new URL(meta.jwks_uri), { timeoutDuration: TIMEOUT_MS });
    jwksCache.set(meta.jwks_uri, set);
  }
  return set;
}

export interface ClientCredentials {
  clientId: string;
  /** Wiped by the caller. */
  clientSecret: Uint8Array;
}

/** client_secret_basic (RFC 6749 section 2.3.1: both parts form-encoded first). */
function basicAuth(c: ClientCredentials): string {
  const enc = (s: string) => encodeURIComponent(s).replace(/%20/g, '+');
  const pair = `${enc(c.clientId)}:${enc(Buffer.from(c.clientSecret).toString('utf8'))}`;
  return `Basic ${Buffer.from(pair).toString('base64')}`;
}

export interface TokenAnswer {
  status: number;
  body: Record<string, unknown>;
}

/** A POST to the token (or device authorization) endpoint, authenticated as the client. */
export async function postForm(url: string, c: ClientCredentials, form: Record<string, string>): Promise<TokenAnswer> {
  return getJson(url, {
    method: 'POST',
    headers: { authorization: basicAuth(c), 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
    body: new URLSearchParams(form).toString(),
  });
}

/** The base64url of the left half of the hash the ID token's algorithm names (Core 1.0 section 3.1.3.6). */
function leftHalfHash(alg: string, value: string): string {
  const bits = alg === 'EdDSA' ? 512 : Number(alg.slice(2));
  const name = bits === 384 ? 'sha384' : bits === 512 ? 'sha512' : 'sha256';
  const digest = createHash(name).update(value, 'ascii').digest();
  return digest.subarray(0, digest.length / 2).toString('base64url');
}

export interface IdTokenCheck {
  meta: ProviderMetadata;
  clientId: string;
  /** The sign-in's nonce (code flow); the device grant has none (RFC 8628 defines no nonce). */
  nonce: string | undefined;
  accessToken?: string;
  now: Date;
}

/** The ID token's claims once every check of Core 1.0 section 3.1.3.7 passed. */
export async function verifyIdToken(idToken: string, c: IdTokenCheck): Promise<JWTPayload> {
  let alg: string;
  try {
    alg = decodeProtectedHeader(idToken).alg ?? '';
  } catch {
    refuse('the ID token is not a JWS');
  }
  if (!ALGORITHMS.includes(alg)) refuse(`the ID token's algorithm ${JSON.stringify(alg).slice(0, 20)} is not allowed`);
  let payload: JWTPayload;
  try {
    ({ payload } = await jwtVerify(idToken, jwks(c.meta), {
      issuer: c.meta.issuer,
      audience: c.clientId,
      algorithms: ALGORITHMS,
      currentDate: c.now,
      clockTolerance: CLOCK_TOLERANCE,
      requiredClaims: ['sub', 'iat', 'exp'],
    }));
  } catch (err) {
    const code = (err as { code?: string }).code ?? '';
    const why: Record<string, string> = {
      ERR_JWT_EXPIRED: 'the ID token expired',
      ERR_JWS_SIGNATURE_VERIFICATION_FAILED: "the ID token's signature does not verify",
      ERR_JWKS_NO_MATCHING_KEY: "no key of the provider's JWKS matches the ID token",
    };
    if (code === 'ERR_JWT_CLAIM_VALIDATION_FAILED') {
      const claim = (err as { claim?: string }).claim ?? 'a claim';
      refuse(`the ID token's ${claim} is wrong (${(err as Error).message})`);
    }
    refuse(why[code] ?? 'the ID token does not verify');
  }
  // Several audiences: the token must name this client as its authorized party (step 4-5).
  if (Array.isArray(payload.aud) && payload.aud.length > 1 && payload.azp !== c.clientId) refuse("the ID token's azp is not this client");
  if (payload.azp !== undefined && payload.azp !== c.clientId) refuse("the ID token's azp is not this client");
  if (c.nonce !== undefined && (typeof payload.nonce !== 'string' || !constantTimeEqual(Buffer.from(payload.nonce), Buffer.from(c.nonce))))
    refuse("the ID token's nonce is not the one this sign-in sent");
  if (payload.at_hash !== undefined) {
    if (c.accessToken === undefined || typeof payload.at_hash !== 'string') refuse('at_hash without an access token');
    const want = leftHalfHash(alg, c.accessToken);
    if (!constantTimeEqual(Buffer.from(want), Buffer.from(payload.at_hash)))
      refuse("the ID token's at_hash does not match the access token");
  }
  if (typeof payload.sub !== 'string' || payload.sub.length === 0 || payload.sub.length > 255) refuse('the ID token has no usable sub');
  return payload;
}
