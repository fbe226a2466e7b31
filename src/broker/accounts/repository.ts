/**
 * The tenants, users, api_tokens and invitations tables: every statement that writes them is
 * here, by name, with the reads of the account routes.
 */
import type { Sql } from '../store/types.js';

/** A users row as the account routes read it. */
export interface UserRow {
  id: string;
  name: string;
  roles: string[];
  vouched: boolean;
  created_at: string;
  disabled_at: string | null;
  /** Set for a person known through the tenant's OpenID provider (oidc/service.ts). */
  oidc_issuer: string | null;
}

/** An api_tokens row without its hash (token_hash only where the caller's own token is marked). */
export interface ApiTokenRow {
  id: string;
  created_at: string;
  expires_at: string;
  revoked_at: string | null;
  token_hash?: string;
}

/** An invitation with its user's state, locked for redemption. */
export interface InvitationRow {
  tenant_id: string;
  id: string;
  user_id: string;
  token_seconds: number;
  expires_at: string;
  redeemed_at: string | null;
  revoked_at: string | null;
  disabled_at: string | null;
}

const TENANT_NAME_TAKEN = 'SELECT 1 FROM tenants WHERE name = $1';
const INSERT_TENANT = 'INSERT INTO tenants (id, tenant_id, name) VALUES ($1, $1, $2)';
const TENANT_EXISTS = 'SELECT 1 FROM tenants WHERE id = $1 AND id <> $2';
const LIST_TENANTS = 'SELECT id, name, created_at FROM tenants WHERE id <> $1 ORDER BY created_at, id';
const TENANT_AND_USER_NAMES =
  'SELECT t.name AS tenant_name, u.name AS user_name FROM users u JOIN tenants t ON t.id = u.tenant_id WHERE u.tenant_id = $1 AND u.id = $2';
const LIST_USERS = `SELECT id, name, roles, vouched, created_at, disabled_at, oidc_issuer FROM users WHERE tenant_id = $1 AND ($2 OR disabled_at IS NULL) ORDER BY created_at, id`;
const USER_EXISTS = 'SELECT 1 FROM users WHERE tenant_id = $1 AND id = $2';
const USER_NAME_TAKEN = 'SELECT 1 FROM users WHERE tenant_id = $1 AND name = $2';
const INSERT_USER = 'INSERT INTO users (tenant_id, id, name, roles, vouched) VALUES ($1, $2, $3, $4, $5)';
const LOCK_USER = 'SELECT name, roles, vouched FROM users WHERE tenant_id = $1 AND id = $2 AND disabled_at IS NULL FOR UPDATE';
const OTHER_ADMINS =
  "SELECT count(*)::integer AS n FROM users WHERE tenant_id = $1 AND id <> $2 AND disabled_at IS NULL AND 'admin' = ANY(roles)";
const SET_ROLES = 'UPDATE users SET roles = $3, vouched = $4 WHERE tenant_id = $1 AND id = $2 AND disabled_at IS NULL RETURNING id';
const DISABLE_USER = 'UPDATE users SET disabled_at = now() WHERE tenant_id = $1 AND id = $2 AND disabled_at IS NULL RETURNING id';
const USER_VOUCHED = 'SELECT vouched FROM users WHERE tenant_id = $1 AND id = $2';
const PRIVILEGED_USERS = `SELECT id, name, roles, vouched FROM users
      WHERE tenant_id = $1 AND disabled_at IS NULL AND ('admin' = ANY(roles) OR 'approver' = ANY(roles)) ORDER BY created_at, id`;
const OPERATOR = "SELECT id FROM users WHERE tenant_id = $1 AND name = 'operator'";
const LOCK_OPERATOR = "SELECT id FROM users WHERE tenant_id = $1 AND name = 'operator' FOR UPDATE";
const INSERT_OPERATOR = "INSERT INTO users (tenant_id, id, name, roles) VALUES ($1, $2, 'operator', $3)";
const LOCK_OIDC_USER =
  'SELECT id, roles, disabled_at FROM users WHERE tenant_id = $1 AND oidc_issuer = $2 AND oidc_subject = $3 FOR UPDATE';
const INSERT_OIDC_USER =
  'INSERT INTO users (tenant_id, id, name, roles, vouched, oidc_issuer, oidc_subject) VALUES ($1, $2, $3, $4, true, $5, $6)';
const IS_OIDC_USER = 'SELECT 1 FROM users WHERE tenant_id = $1 AND id = $2 AND oidc_issuer IS NOT NULL';
const SET_OIDC_ROLES = 'UPDATE users SET roles = $3, vouched = true WHERE tenant_id = $1 AND id = $2';
const INSERT_TOKEN = `INSERT INTO api_tokens (tenant_id, id, user_id, token_hash, expires_at)
     VALUES ($1, $2, $3, $4, now() + make_interval(secs => $5)) RETURNING expires_at`;
const OWN_TOKENS =
  'SELECT id, created_at, expires_at, revoked_at, token_hash FROM api_tokens WHERE tenant_id = $1 AND user_id = $2 ORDER BY created_at DESC, id LIMIT 1000';
const USER_TOKENS =
  'SELECT id, created_at, expires_at, revoked_at FROM api_tokens WHERE tenant_id = $1 AND user_id = $2 ORDER BY created_at DESC, id LIMIT 1000';
const REVOKE_TOKEN =
  'UPDATE api_tokens SET revoked_at = coalesce(revoked_at, now()) WHERE tenant_id = $1 AND id = $2 AND ($3 OR user_id = $4) RETURNING id';
const REVOKE_USER_TOKENS =
  'UPDATE api_tokens SET revoked_at = now() WHERE tenant_id = $1 AND user_id = $2 AND revoked_at IS NULL RETURNING id';
const LOCK_INVITATION = `SELECT i.tenant_id, i.id, i.user_id, i.token_seconds, i.expires_at, i.redeemed_at, i.revoked_at, u.disabled_at
             FROM invitations i JOIN users u ON u.id = i.user_id WHERE i.code_hash = $1 FOR UPDATE OF i`;
const REDEEM_INVITATION = 'UPDATE invitations SET redeemed_at = now(), redeemed_from = $2 WHERE id = $1';
const REVOKE_OPEN_INVITATIONS =
  'UPDATE invitations SET revoked_at = now() WHERE tenant_id = $1 AND user_id = $2 AND redeemed_at IS NULL AND revoked_at IS NULL';
const INSERT_INVITATION = `INSERT INTO invitations (tenant_id, id, user_id, code_hash, token_seconds, created_by, expires_at)
     VALUES ($1, $2, $3, $4, $5, $6, now() + make_interval(secs => $7)) RETURNING expires_at`;

export async function tenantNameTaken(q: Sql, name: string): Promise<boolean> {
  return (await q.query(TENANT_NAME_TAKEN, [name])).length > 0;
}

export async function insertTenant(q: Sql, id: string, name: string): Promise<void> {
  await q.query(INSERT_TENANT, [id, name]);
}

/** Whether a tenant other than `except` (the system tenant) has this id. */
export async function tenantExists(q: Sql, id: string, except: string): Promise<boolean> {
  return (await q.query(TENANT_EXISTS, [id, except])).length > 0;
}

export async function listTenants(q: Sql, except: string): Promise<{ id: string; name: string; created_at: string }[]> {
  return q.query(LIST_TENANTS, [except]);
}

export async function tenantAndUserNames(
  q: Sql,
  tenantId: string,
  userId: string,
): Promise<{ tenant_name: string; user_name: string } | undefined> {
  return (await q.query<{ tenant_name: string; user_name: string }>(TENANT_AND_USER_NAMES, [tenantId, userId]))[0];
}

export async function listUsers(q: Sql, tenantId: string, all: boolean): Promise<UserRow[]> {
  return q.query<UserRow>(LIST_USERS, [tenantId, all]);
}

export async function userExists(q: Sql, tenantId: string, userId: string): Promise<boolean> {
  return (await q.query(USER_EXISTS, [tenantId, userId])).length > 0;
}

export async function userNameTaken(q: Sql, tenantId: string, name: string): Promise<boolean> {
  return (await q.query(USER_NAME_TAKEN, [tenantId, name])).length > 0;
}

export async function insertUser(q: Sql, tenantId: string, id: string, name: string, roles: string[], vouched: boolean): Promise<void> {
  await q.query(INSERT_USER, [tenantId, id, name, roles, vouched]);
}

/** A live user, locked until the transaction ends. */
export async function lockUser(
  q: Sql,
  tenantId: string,
  userId: string,
): Promise<{ name: string; roles: string[]; vouched: boolean } | undefined> {
  return (await q.query<{ name: string; roles: string[]; vouched: boolean }>(LOCK_USER, [tenantId, userId]))[0];
}

/** Enabled admins of the tenant other than `userId`. */
export async function otherAdmins(q: Sql, tenantId: string, userId: string): Promise<number> {
  return (await q.query<{ n: number }>(OTHER_ADMINS, [tenantId, userId]))[0]!.n;
}

/** False when there is no such live user. */
export async function setRoles(q: Sql, tenantId: string, userId: string, roles: string[], vouched: boolean): Promise<boolean> {
  return (await q.query(SET_ROLES, [tenantId, userId, roles, vouched])).length > 0;
}

/** False when there is no such live user. */
export async function disableUser(q: Sql, tenantId: string, userId: string): Promise<boolean> {
  return (await q.query(DISABLE_USER, [tenantId, userId])).length > 0;
}

export async function userVouched(q: Sql, tenantId: string, userId: string): Promise<boolean | undefined> {
  return (await q.query<{ vouched: boolean }>(USER_VOUCHED, [tenantId, userId]))[0]?.vouched;
}

/** Enabled admins and approvers, oldest first (separation of duties counts them). */
export async function privilegedUsers(
  q: Sql,
  tenantId: string,
): Promise<{ id: string; name: string; roles: string[]; vouched: boolean }[]> {
  return q.query(PRIVILEGED_USERS, [tenantId]);
}

/** The operator user's id; `lock` holds its row until the transaction ends. */
export async function operatorId(q: Sql, systemTenant: string, lock: boolean): Promise<string | undefined> {
  return (await q.query<{ id: string }>(lock ? LOCK_OPERATOR : OPERATOR, [systemTenant]))[0]?.id;
}

export async function insertOperator(q: Sql, systemTenant: string, id: string): Promise<void> {
  await q.query(INSERT_OPERATOR, [systemTenant, id, ['operator']]);
}

/** A new token row; its expiry. */
export async function insertToken(
  q: Sql,
  tenantId: string,
  id: string,
  userId: string,
  hash: string,
  lifeSeconds: number,
): Promise<string> {
  return (await q.query<{ expires_at: string }>(INSERT_TOKEN, [tenantId, id, userId, hash, lifeSeconds]))[0]!.expires_at;
}

/** A user's tokens, newest first; `withHash` to mark the caller's own. */
export async function userTokens(q: Sql, tenantId: string, userId: string, withHash: boolean): Promise<ApiTokenRow[]> {
  return q.query<ApiTokenRow>(withHash ? OWN_TOKENS : USER_TOKENS, [tenantId, userId]);
}

/** Revokes a token of the tenant (`anyUser`: any user's, else only `userId`'s); false when there is none. */
export async function revokeToken(q: Sql, tenantId: string, tokenId: string, anyUser: boolean, userId: string): Promise<boolean> {
  return (await q.query(REVOKE_TOKEN, [tenantId, tokenId, anyUser, userId])).length > 0;
}

/** Revokes every live token of a user; how many. */
export async function revokeUserTokens(q: Sql, tenantId: string, userId: string): Promise<number> {
  return (await q.query(REVOKE_USER_TOKENS, [tenantId, userId])).length;
}

export async function lockInvitation(q: Sql, codeHash: string): Promise<InvitationRow | undefined> {
  return (await q.query<InvitationRow>(LOCK_INVITATION, [codeHash]))[0];
}

export async function redeemInvitation(q: Sql, id: string, sourceIp: string): Promise<void> {
  await q.query(REDEEM_INVITATION, [id, sourceIp]);
}

export async function revokeOpenInvitations(q: Sql, tenantId: string, userId: string): Promise<void> {
  await q.query(REVOKE_OPEN_INVITATIONS, [tenantId, userId]);
}

/** A new invitation row; its expiry. */
export async function insertInvitation(
  q: Sql,
  i: { tenantId: string; id: string; userId: string; codeHash: string; tokenSeconds: number; createdBy: string; seconds: number },
): Promise<string> {
  const rows = await q.query<{ expires_at: string }>(INSERT_INVITATION, [
    i.tenantId,
    i.id,
    i.userId,
    i.codeHash,
    i.tokenSeconds,
    i.createdBy,
    i.seconds,
  ]);
  return rows[0]!.expires_at;
}

/** The person the provider names by issuer and subject, locked. */
export async function lockOidcUser(
  q: Sql,
  tenantId: string,
  issuer: string,
  subject: string,
): Promise<{ id: string; roles: string[]; disabled_at: string | null } | undefined> {
  return (await q.query<{ id: string; roles: string[]; disabled_at: string | null }>(LOCK_OIDC_USER, [tenantId, issuer, subject]))[0];
}

/** A person first seen through the provider: vouched, since the provider, not one admin, grants the roles. */
export async function insertOidcUser(
  q: Sql,
  u: { tenantId: string; id: string; name: string; roles: string[]; issuer: string; subject: string },
): Promise<void> {
  await q.query(INSERT_OIDC_USER, [u.tenantId, u.id, u.name, u.roles, u.issuer, u.subject]);
}

/** The roles the provider's groups grant at this sign-in. */
export async function setOidcRoles(q: Sql, tenantId: string, userId: string, roles: string[]): Promise<void> {
  await q.query(SET_OIDC_ROLES, [tenantId, userId, roles]);
}

/** True for a person known through the provider (roles and credentials come from it). */
export async function isOidcUser(q: Sql, tenantId: string, userId: string): Promise<boolean> {
  return (await q.query(IS_OIDC_USER, [tenantId, userId])).length > 0;
}
