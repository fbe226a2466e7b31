/**
 * The web console's sessions (docs/console.md): an API token is exchanged once for a cookie
 * that is HttpOnly, Secure, SameSite=Strict and short-lived, stored as its SHA-256 only,
 * scoped to the token's tenant and user, and dead as soon as its token is revoked or expires.
 *
 * A state-changing call made with the cookie also carries X-CSRF-Token: an HMAC of the
 * session under a fixed label, so nothing more is stored, the page can fetch it again after a
 * reload, and it reveals nothing about the cookie. It is compared in constant time.
 *
 * A session may also come from a sign-in through the tenant's OpenID provider (oidc/): it has
 * no API token, holds the roles the provider's groups granted and how the person signed in
 * (amr, acr, auth_time); `broker login` sends one as a Bearer token (no cookie, no CSRF).
 */
import { createHmac } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { SectorCryptError } from '../../errors.js';
import type { Sql } from '../store/types.js';
import type { Principal, Role, SignIn } from './principal.js';
import { constantTimeEqual, tokenHash } from './secrets.js';
import { liveSession } from './repository.js';

/** __Host-: the browser keeps it only when Secure, Path=/ and without Domain. */
export const SESSION_COOKIE = '__Host-sectorcrypt-session';
export const CSRF_HEADER = 'x-csrf-token';
/** A session lasts this long (never past its API token's own expiry). */
export const SESSION_SECONDS = 20 * 60;

const SESSION_FORMAT = /^scs_[A-Za-z0-9_-]{43}$/;
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export function csrfTokenFor(session: string): string {
  return createHmac('sha256', session).update('sectorcrypt console csrf v1').digest('base64url');
}

export function sessionCookie(session: string, maxAgeSeconds: number): string {
  return `${SESSION_COOKIE}=${session}; Path=/; Max-Age=${maxAgeSeconds}; HttpOnly; Secure; SameSite=Strict`;
}

export function clearedSessionCookie(): string {
  return `${SESSION_COOKIE}=; Path=/; Max-Age=0; HttpOnly; Secure; SameSite=Strict`;
}

/** The session cookie's value, when the request carries a well-formed one. */
export function readSessionCookie(req: FastifyRequest): string | undefined {
  const header = req.headers.cookie;
  if (typeof header !== 'string') return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0 || part.slice(0, eq).trim() !== SESSION_COOKIE) continue;
    const value = part.slice(eq + 1).trim();
    return SESSION_FORMAT.test(value) ? value : undefined;
  }
  return undefined;
}

/** Refuses a state-changing call without the session's CSRF token. */
export function checkCsrf(req: FastifyRequest, session: string): void {
  if (SAFE_METHODS.has(req.method)) return;
  const given = req.headers[CSRF_HEADER];
  const expected = Buffer.from(csrfTokenFor(session));
  if (typeof given !== 'string' || !constantTimeEqual(Buffer.from(given), expected)) {
    throw new SectorCryptError('ERR_FORBIDDEN', `a call made with the console session needs its ${CSRF_HEADER} header`);
  }
}

export interface SessionRow extends Principal {
  /** The API token it was made from; null for a sign-in through the provider. */
  tokenId: string | null;
  expiresAt: string;
}

/** The live session behind `session`: unexpired and unrevoked, with a live token and user. */
export async function findSession(db: Sql, session: string): Promise<SessionRow | undefined> {
  const row = await liveSession(db, tokenHash(session));
  if (!row) return undefined;
  return {
    tenantId: row.tenant_id,
    userId: row.user_id,
    roles: row.roles as Role[],
    tokenId: row.token_id,
    expiresAt: new Date(row.expires_at).toISOString(),
    ...(row.provider !== null && row.subject !== null ? { signIn: signInOf(row) } : {}),
  };
}

function signInOf(row: {
  provider: string | null;
  subject: string | null;
  amr: string[] | null;
  acr: string | null;
  auth_time: string | null;
}): SignIn {
  return {
    provider: row.provider!,
    subject: row.subject!,
    amr: row.amr ?? [],
    ...(row.acr !== null ? { acr: row.acr } : {}),
    ...(row.auth_time !== null ? { authTime: new Date(row.auth_time).toISOString() } : {}),
  };
}

/** The principal of a cookie-carrying call (authenticate() in authenticate.ts comes here). */
export async function sessionPrincipal(db: Sql, req: FastifyRequest, session: string): Promise<Principal> {
  const found = await findSession(db, session);
  if (!found) throw new SectorCryptError('ERR_UNAUTHENTICATED', 'the console session expired or was signed out');
  checkCsrf(req, session);
  return principalOf(found);
}

function principalOf(found: SessionRow): Principal {
  return {
    tenantId: found.tenantId,
    userId: found.userId,
    roles: found.roles,
    via: 'session',
    ...(found.signIn ? { signIn: found.signIn } : {}),
  };
}

/**
 * The principal of a broker session sent as a Bearer token: what `broker login` keeps (the
 * CLI's device sign-in, oidc/routes-device.ts). No cookie, so no CSRF token is asked for.
 */
export async function bearerSessionPrincipal(db: Sql, session: string): Promise<Principal | undefined> {
  if (!SESSION_FORMAT.test(session)) return undefined;
  const found = await findSession(db, session);
  // tokenHash: the credential it came with, so that DELETE /v1/session ends this one.
  return found ? { ...principalOf(found), tokenHash: tokenHash(session) } : undefined;
}
