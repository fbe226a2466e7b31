/**
 * Bearer tokens for people (docs/broker.md "Tenants, users and tokens"): the token's SHA-256 finds
 * its row; a revoked or expired token, or a disabled user, is ERR_UNAUTHENTICATED; a role the
 * call does not allow is ERR_FORBIDDEN. Without an Authorization header, the web console's
 * session cookie (console-session.ts) stands for the token it was made from, same roles; a
 * Bearer `scs_` value is a broker session from `broker login` (oidc/routes-device.ts).
 */
import type { FastifyRequest } from 'fastify';
import { SectorCryptError } from '../../errors.js';
import type { Sql } from '../store/types.js';
import { tokenHash } from './secrets.js';
import { bearerSessionPrincipal, readSessionCookie, sessionPrincipal } from './console-session.js';
import type { Principal, Role } from './principal.js';
import { liveToken } from './repository.js';

export type { Principal, Role };

export async function authenticate(db: Sql, req: FastifyRequest): Promise<Principal> {
  const header = req.headers.authorization;
  if (header === undefined) {
    const session = readSessionCookie(req);
    if (session !== undefined) return sessionPrincipal(db, req, session);
  }
  // The messages never repeat the header: it may hold a real token with a typo in it.
  if (header === undefined || header === '')
    throw new SectorCryptError('ERR_UNAUTHENTICATED', 'a Bearer token is required (Authorization: Bearer <token>)');
  const m = typeof header === 'string' ? /^Bearer ([A-Za-z0-9_-]{16,128})$/.exec(header) : null;
  if (!m)
    throw new SectorCryptError(
      'ERR_UNAUTHENTICATED',
      'the token was refused: malformed Authorization header (expected Bearer and a token of 16 to 128 URL-safe characters)',
    );
  if (m[1]!.startsWith('scs_')) {
    // A broker session from `broker login` (never an API token: those start otherwise).
    const who = await bearerSessionPrincipal(db, m[1]!);
    if (!who) throw new SectorCryptError('ERR_UNAUTHENTICATED', 'the session expired or was signed out (broker login)');
    return who;
  }
  const hash = tokenHash(m[1]!);
  const row = await liveToken(db, hash);
  if (!row) throw new SectorCryptError('ERR_UNAUTHENTICATED', 'the token was refused: unknown, expired or revoked');
  return { tenantId: row.tenant_id, userId: row.user_id, roles: row.roles as Role[], via: 'token', tokenHash: hash };
}

export async function requireRole(db: Sql, req: FastifyRequest, ...allowed: Role[]): Promise<Principal> {
  const who = await authenticate(db, req);
  if (!who.roles.some((r) => allowed.includes(r))) {
    throw new SectorCryptError('ERR_FORBIDDEN', `this call needs the role ${allowed.join(' or ')}`);
  }
  return who;
}
