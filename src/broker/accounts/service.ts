/**
 * What changes a user: roles, disabling, invitations, tokens. The routes (routes.ts,
 * routes-lockout.ts, routes-invitations.ts) decide whether a change waits for a second admin
 * (separation/service.ts); these functions apply it, with its audit record, whoever confirmed it.
 *
 * A new user's first credential is an invitation: a one-time code the user redeems for a
 * token of their own, so that the admin who made the user never holds that user's token.
 */
import type { Sql } from '../store/types.js';
import { appendAudit } from '../audit/log.js';
import { newId, newToken, tokenHash } from '../auth/secrets.js';
import { iso } from '../http/schemas.js';
import { fail } from '../http/errors.js';
import { PRIVILEGED_ROLES } from '../separation/service.js';
import { revokeSessionsOfUser } from '../auth/repository.js';
import * as accounts from './repository.js';

/** An invitation is redeemable this long. */
export const INVITATION_SECONDS = 3 * 24 * 3600;

export interface Invitation {
  invitationId: string;
  /** Shown once; only its SHA-256 is kept. */
  code: string;
  expiresAt: string;
}

export interface Actor {
  tenantId: string;
  /** The user (or 'operator') that made the change. */
  userId: string;
  sourceIp: string;
  /** The pending action a second admin confirmed, when there was one. */
  actionId?: string;
}

export function checkSeparation(roles: readonly string[]): void {
  if (roles.includes('admin') && roles.includes('approver')) {
    fail('ERR_FORBIDDEN', 'separation of duties: one user cannot be both admin and approver');
  }
}

/** The privileged roles `after` grants that `before` lacks. */
export function grantedPrivileges(before: readonly string[], after: readonly string[]): string[] {
  return PRIVILEGED_ROLES.filter((r) => after.includes(r) && !before.includes(r));
}

/** Inserts a token for a user; returns the token (the caller shows it once). */
export async function issueToken(
  q: Sql,
  tenantId: string,
  userId: string,
  lifeSeconds: number,
): Promise<{ tokenId: string; token: string; expiresAt: string }> {
  const token = newToken('sct');
  const tokenId = newId('tok');
  const expiresAt = await accounts.insertToken(q, tenantId, tokenId, userId, tokenHash(token), lifeSeconds);
  return { tokenId, token, expiresAt: iso(expiresAt) };
}

/** A live user of the tenant, locked until the transaction ends; ERR_NOT_FOUND otherwise. */
export async function lockUser(q: Sql, tenantId: string, userId: string): Promise<{ name: string; roles: string[]; vouched: boolean }> {
  const user = await accounts.lockUser(q, tenantId, userId);
  if (!user) fail('ERR_NOT_FOUND', 'no such user');
  return user;
}

/** Refuses a change that would leave the tenant without an enabled admin. */
export async function keepAnAdmin(q: Sql, tenantId: string, leaving: string): Promise<void> {
  if ((await accounts.otherAdmins(q, tenantId, leaving)) === 0)
    fail('ERR_CONFLICT', "this is the tenant's last admin: the tenant would have nobody to manage it");
}

/**
 * Makes a user; `vouched` when the operator made it or a second admin confirmed its roles.
 * Returns the user's invitation.
 */
export async function createUser(
  q: Sql,
  by: Actor,
  user: { name: string; roles: string[]; vouched: boolean; tokenSeconds: number },
): Promise<{ userId: string; invitation: Invitation }> {
  if (await accounts.userNameTaken(q, by.tenantId, user.name)) fail('ERR_CONFLICT', `a user named ${user.name} exists`);
  const userId = newId('usr');
  await accounts.insertUser(q, by.tenantId, userId, user.name, user.roles, user.vouched);
  await appendAudit(q, by.tenantId, {
    actor: by.userId,
    action: 'user.create',
    target: userId,
    outcome: 'success',
    reasons: { roles: user.roles, vouched: user.vouched },
    sourceIp: by.sourceIp,
  });
  return { userId, invitation: await createInvitation(q, by, userId, user.tokenSeconds) };
}

/** A person known through the provider gets roles and credentials only from it (oidc/service.ts). */
async function refuseProviderUser(q: Sql, tenantId: string, userId: string): Promise<void> {
  if (await accounts.isOidcUser(q, tenantId, userId))
    fail(
      'ERR_CONFLICT',
      "this person signs in through the tenant's OpenID provider: roles come from its groups, and no local token or invitation is made",
    );
}

/** Sets a user's roles (the caller checked separation and the last admin). */
export async function setRoles(q: Sql, by: Actor, userId: string, roles: string[], vouched: boolean): Promise<void> {
  checkSeparation(roles);
  await refuseProviderUser(q, by.tenantId, userId);
  if (!(await accounts.setRoles(q, by.tenantId, userId, roles, vouched))) fail('ERR_NOT_FOUND', 'no such user');
  await appendAudit(q, by.tenantId, {
    actor: by.userId,
    action: 'user.roles',
    target: userId,
    outcome: 'success',
    reasons: { roles, vouched, ...(by.actionId ? { actionId: by.actionId } : {}) },
    sourceIp: by.sourceIp,
  });
}

/** Every credential of a user stops at once: tokens, console sessions, open invitations. */
export async function revokeCredentials(q: Sql, tenantId: string, userId: string): Promise<{ tokens: number }> {
  const tokens = await accounts.revokeUserTokens(q, tenantId, userId);
  await revokeSessionsOfUser(q, tenantId, userId);
  await accounts.revokeOpenInvitations(q, tenantId, userId);
  return { tokens };
}

/** Disables a user: nothing it holds works any more, and it cannot be given new credentials. */
export async function disableUser(q: Sql, by: Actor, userId: string): Promise<void> {
  if (!(await accounts.disableUser(q, by.tenantId, userId))) fail('ERR_NOT_FOUND', 'no such user');
  const { tokens } = await revokeCredentials(q, by.tenantId, userId);
  await appendAudit(q, by.tenantId, {
    actor: by.userId,
    action: 'user.disable',
    target: userId,
    outcome: 'success',
    reasons: { tokensRevoked: tokens, ...(by.actionId ? { actionId: by.actionId } : {}) },
    sourceIp: by.sourceIp,
  });
}

/** A new invitation for a user; earlier unredeemed ones stop working. */
export async function createInvitation(q: Sql, by: Actor, userId: string, tokenSeconds: number): Promise<Invitation> {
  await refuseProviderUser(q, by.tenantId, userId);
  await accounts.revokeOpenInvitations(q, by.tenantId, userId);
  const code = newToken('sci');
  const invitationId = newId('inv');
  const expiresAt = await accounts.insertInvitation(q, {
    tenantId: by.tenantId,
    id: invitationId,
    userId,
    codeHash: tokenHash(code),
    tokenSeconds,
    createdBy: by.userId,
    seconds: INVITATION_SECONDS,
  });
  await appendAudit(q, by.tenantId, {
    actor: by.userId,
    action: 'user.invite',
    target: userId,
    outcome: 'success',
    reasons: { invitationId, ...(by.actionId ? { actionId: by.actionId } : {}) },
    sourceIp: by.sourceIp,
  });
  return { invitationId, code, expiresAt: iso(expiresAt) };
}
