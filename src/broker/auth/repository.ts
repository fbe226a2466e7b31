/**
 * The console_sessions and nonces tables, and the reads that find who holds a token: every
 * statement on them is here, by name. A session dies with its token or its user
 * (accounts/service.ts revokes through revokeSessions*).
 */
import type { Sql } from '../store/types.js';

const LIVE_TOKEN = `SELECT t.tenant_id, t.user_id, u.roles FROM api_tokens t JOIN users u ON u.id = t.user_id
      WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND t.expires_at > now() AND u.disabled_at IS NULL`;
const LIVE_TOKEN_ID = `SELECT t.tenant_id, t.id, t.user_id FROM api_tokens t JOIN users u ON u.id = t.user_id
            WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND t.expires_at > now() AND u.disabled_at IS NULL`;
// A session from a provider's sign-in (no token) holds its own roles, granted by the provider's groups.
const LIVE_SESSION = `SELECT s.tenant_id, s.user_id, coalesce(s.roles, u.roles) AS roles, s.token_id, s.expires_at,
              s.provider, s.subject, s.amr, s.acr, s.auth_time
       FROM console_sessions s LEFT JOIN api_tokens t ON t.id = s.token_id JOIN users u ON u.id = s.user_id
      WHERE s.session_hash = $1 AND s.revoked_at IS NULL AND s.expires_at > now()
        AND (s.token_id IS NULL OR (t.revoked_at IS NULL AND t.expires_at > now())) AND u.disabled_at IS NULL`;
const INSERT_PROVIDER_SESSION = `INSERT INTO console_sessions (tenant_id, session_hash, user_id, roles, provider, subject, amr, acr, auth_time, expires_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, now() + make_interval(secs => $10))`;
const INSERT_SESSION = `INSERT INTO console_sessions (tenant_id, session_hash, token_id, user_id, expires_at)
           VALUES ($1, $2, $3, $4, least(now() + make_interval(secs => $5), (SELECT expires_at FROM api_tokens WHERE id = $3)))`;
const REVOKE_SESSION = 'UPDATE console_sessions SET revoked_at = now() WHERE session_hash = $1 AND revoked_at IS NULL';
const REVOKE_TOKEN_SESSIONS = 'UPDATE console_sessions SET revoked_at = coalesce(revoked_at, now()) WHERE tenant_id = $1 AND token_id = $2';
const REVOKE_USER_SESSIONS = 'UPDATE console_sessions SET revoked_at = now() WHERE tenant_id = $1 AND user_id = $2 AND revoked_at IS NULL';
const PRUNE_SESSIONS = 'DELETE FROM console_sessions WHERE expires_at < now()';
const PRUNE_NONCES = "DELETE FROM nonces WHERE seen_at < now() - interval '15 minutes'";
/**
 * Records the nonce ($1 tenant, $2 device, $3 nonce) and reads the device's revocation, in one
 * statement whose columns `fresh` and `revoked_at` agent-signature.ts admitAgent reads. Each
 * nonce is accepted once across every broker process (the primary key decides), and
 * revocation is never cached. The release route does the same work, with its reads, in one
 * function (sc_admit_release, store/migrations.ts 4).
 */
const ADMIT_NONCE = `WITH n AS (INSERT INTO nonces (tenant_id, device_id, nonce) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING RETURNING 1)
  SELECT (SELECT count(*) FROM n)::integer AS fresh, (SELECT revoked_at FROM devices WHERE id = $2) AS revoked_at`;

/** The tenant, user and roles of a live token (unexpired, unrevoked, its user enabled). */
export async function liveToken(q: Sql, hash: string): Promise<{ tenant_id: string; user_id: string; roles: string[] } | undefined> {
  return (await q.query<{ tenant_id: string; user_id: string; roles: string[] }>(LIVE_TOKEN, [hash]))[0];
}

/** The same, with the token's id (a console sign-in names the token it was made from). */
export async function liveTokenId(q: Sql, hash: string): Promise<{ tenant_id: string; id: string; user_id: string } | undefined> {
  return (await q.query<{ tenant_id: string; id: string; user_id: string }>(LIVE_TOKEN_ID, [hash]))[0];
}

export interface LiveSessionRow {
  tenant_id: string;
  user_id: string;
  roles: string[];
  token_id: string | null;
  expires_at: string;
  provider: string | null;
  subject: string | null;
  amr: string[] | null;
  acr: string | null;
  auth_time: string | null;
}

export async function liveSession(q: Sql, sessionHash: string): Promise<LiveSessionRow | undefined> {
  return (await q.query<LiveSessionRow>(LIVE_SESSION, [sessionHash]))[0];
}

/** A session from a sign-in through the tenant's provider: its roles and how the person signed in. */
export async function insertProviderSession(
  q: Sql,
  s: {
    tenantId: string;
    sessionHash: string;
    userId: string;
    roles: string[];
    provider: string;
    subject: string;
    amr: string[];
    acr: string | null;
    authTime: Date | null;
    seconds: number;
  },
): Promise<void> {
  await q.query(INSERT_PROVIDER_SESSION, [
    s.tenantId,
    s.sessionHash,
    s.userId,
    s.roles,
    s.provider,
    s.subject,
    s.amr,
    s.acr,
    s.authTime,
    s.seconds,
  ]);
}

/** A session for a token, never outliving it. */
export async function insertSession(
  q: Sql,
  s: { tenantId: string; sessionHash: string; tokenId: string; userId: string; seconds: number },
): Promise<void> {
  await q.query(INSERT_SESSION, [s.tenantId, s.sessionHash, s.tokenId, s.userId, s.seconds]);
}

export async function revokeSession(q: Sql, sessionHash: string): Promise<void> {
  await q.query(REVOKE_SESSION, [sessionHash]);
}

/** A revoked token's console sessions end with it. */
export async function revokeSessionsOfToken(q: Sql, tenantId: string, tokenId: string): Promise<void> {
  await q.query(REVOKE_TOKEN_SESSIONS, [tenantId, tokenId]);
}

export async function revokeSessionsOfUser(q: Sql, tenantId: string, userId: string): Promise<void> {
  await q.query(REVOKE_USER_SESSIONS, [tenantId, userId]);
}

/**
 * A nonce older than twice the signature skew can go: a request carrying it again would be
 * refused as too old anyway (RFC 9421 section 7.2.2, created + 300 s either way). Expired
 * sessions go too.
 */
export async function prune(q: Sql): Promise<void> {
  await q.query(PRUNE_NONCES).catch(() => {});
  await q.query(PRUNE_SESSIONS).catch(() => {});
}

export async function admitNonce(
  q: Sql,
  tenantId: string,
  deviceId: string,
  nonce: string,
): Promise<{ fresh: number; revoked_at: string | null } | undefined> {
  return (await q.query<{ fresh: number; revoked_at: string | null }>(ADMIT_NONCE, [tenantId, deviceId, nonce]))[0];
}
