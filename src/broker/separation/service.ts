/**
 * Two-person rules (docs/broker.md "Separation of duties"). A tenant enforces them once it
 * has two vouched admins: admins invited by the operator, or whose grant a second vouched
 * admin confirmed. Then every change that weakens a key's release rules and every grant of
 * admin or approver waits, as a pending action, for a second vouched admin. A key's destroy
 * always does. With fewer, changes apply at once and the tenant says so (`separation()`), so
 * nobody believes a rule is enforced that is not.
 */
import type { Sql } from '../store/types.js';
import type { Principal } from '../auth/principal.js';
import { appendAudit } from '../audit/log.js';
import { newId } from '../auth/secrets.js';
import { iso } from '../http/schemas.js';
import { privilegedUsers, userVouched } from '../accounts/repository.js';
import { insertAction, type ActionKind } from './repository.js';

/** How long a pending action waits for its second admin. */
export const ACTION_SECONDS = 24 * 3600;

export type { ActionKind };

/** Roles whose grant takes a second admin: they write the rules or approve releases. */
export const PRIVILEGED_ROLES = ['admin', 'approver'] as const;

export interface Separation {
  /** Enabled admins, and of those the vouched ones that count as a second person. */
  admins: number;
  vouchedAdmins: number;
  /** 'enforced' once there are two vouched admins. */
  twoPersonRules: 'enforced' | 'not enforced';
  /** Enabled admins and approvers whose roles one admin granted alone. */
  unvouched: { userId: string; name: string; roles: string[] }[];
}

export async function separation(q: Sql, tenantId: string): Promise<Separation> {
  const rows = await privilegedUsers(q, tenantId);
  const admins = rows.filter((r) => r.roles.includes('admin'));
  const vouchedAdmins = admins.filter((r) => r.vouched).length;
  return {
    admins: admins.length,
    vouchedAdmins,
    twoPersonRules: vouchedAdmins >= 2 ? 'enforced' : 'not enforced',
    unvouched: rows.filter((r) => !r.vouched).map((r) => ({ userId: r.id, name: r.name, roles: r.roles })),
  };
}

/** True when changes that weaken the rules must wait for a second admin. */
export async function twoPersonEnforced(q: Sql, tenantId: string): Promise<boolean> {
  return (await separation(q, tenantId)).twoPersonRules === 'enforced';
}

export interface PendingAnswer {
  actionId: string;
  kind: ActionKind;
  target: string;
  expiresAt: string;
  /** Why the change waits for a second admin. */
  reason: string;
}

/** Records an action for a second admin to confirm, with its audit record (`<kind>.request`, pending). */
export async function requestAction(
  q: Sql,
  admin: Principal,
  action: { kind: ActionKind; target: string; payload?: unknown; reason: string },
  sourceIp: string,
): Promise<PendingAnswer> {
  const actionId = newId('act');
  const expiresAt = await insertAction(q, {
    tenantId: admin.tenantId,
    id: actionId,
    kind: action.kind,
    target: action.target,
    requestedBy: admin.userId,
    seconds: ACTION_SECONDS,
    payload: action.payload === undefined ? null : JSON.stringify(action.payload),
    reason: action.reason,
  });
  await appendAudit(q, admin.tenantId, {
    actor: admin.userId,
    action: `${action.kind}.request`,
    target: action.target,
    outcome: 'pending',
    reasons: { actionId, reason: action.reason, ...(action.payload === undefined ? {} : { payload: action.payload }) },
    sourceIp,
  });
  return { actionId, kind: action.kind, target: action.target, expiresAt: iso(expiresAt), reason: action.reason };
}

/** Refuses a confirmation by anyone but a vouched admin other than the one who asked. */
export async function checkConfirmer(q: Sql, admin: Principal, requestedBy: string): Promise<string | undefined> {
  if (requestedBy === admin.userId) return 'a second admin must confirm this action';
  if (!(await userVouched(q, admin.tenantId, admin.userId))) {
    return 'only an admin invited by the operator or confirmed by a second admin may confirm actions (an admin made by one admin alone is not a second person)';
  }
  return undefined;
}
