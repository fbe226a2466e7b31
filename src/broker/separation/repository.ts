/** The pending_actions table: every statement on it is here, by name. */
import type { Sql } from '../store/types.js';

/** What a pending action does once confirmed (apply.ts). */
export type ActionKind =
  'key.destroy' | 'policy.update' | 'policy.delete' | 'issuer.update' | 'oidc.update' | 'user.roles' | 'user.disable' | 'user.invite';

/** A pending action as a confirmation or cancellation reads it, locked. */
export interface PendingRow {
  kind: ActionKind;
  target: string;
  requested_by: string;
  expires_at: string;
  confirmed_at: string | null;
  cancelled_at: string | null;
  payload: unknown;
}

/** An open action as the list shows it. */
export interface OpenActionRow {
  id: string;
  kind: string;
  target: string;
  requested_by: string;
  expires_at: string;
  reason: string | null;
  payload: unknown;
}

const INSERT_ACTION = `INSERT INTO pending_actions (tenant_id, id, kind, target, requested_by, expires_at, payload, reason)
     VALUES ($1, $2, $3, $4, $5, now() + make_interval(secs => $6), $7, $8) RETURNING expires_at`;
const OPEN_ACTIONS = `SELECT id, kind, target, requested_by, expires_at, reason, payload FROM pending_actions
        WHERE tenant_id = $1 AND confirmed_at IS NULL AND cancelled_at IS NULL AND expires_at > $2 ORDER BY created_at DESC LIMIT 100`;
const LOCK_ACTION =
  'SELECT kind, target, requested_by, expires_at, confirmed_at, cancelled_at, payload FROM pending_actions WHERE tenant_id = $1 AND id = $2 FOR UPDATE';
const CONFIRM = 'UPDATE pending_actions SET confirmed_by = $2, confirmed_at = now() WHERE id = $1';
const CANCEL = 'UPDATE pending_actions SET cancelled_at = now() WHERE id = $1';

/** A new action; its expiry. */
export async function insertAction(
  q: Sql,
  a: {
    tenantId: string;
    id: string;
    kind: ActionKind;
    target: string;
    requestedBy: string;
    seconds: number;
    payload: string | null;
    reason: string;
  },
): Promise<string> {
  const rows = await q.query<{ expires_at: string }>(INSERT_ACTION, [
    a.tenantId,
    a.id,
    a.kind,
    a.target,
    a.requestedBy,
    a.seconds,
    a.payload,
    a.reason,
  ]);
  return rows[0]!.expires_at;
}

export async function openActions(q: Sql, tenantId: string, now: Date): Promise<OpenActionRow[]> {
  return q.query<OpenActionRow>(OPEN_ACTIONS, [tenantId, now]);
}

export async function lockAction(q: Sql, tenantId: string, id: string): Promise<PendingRow | undefined> {
  return (await q.query<PendingRow>(LOCK_ACTION, [tenantId, id]))[0];
}

export async function confirm(q: Sql, id: string, by: string): Promise<void> {
  await q.query(CONFIRM, [id, by]);
}

export async function cancel(q: Sql, id: string): Promise<void> {
  await q.query(CANCEL, [id]);
}
