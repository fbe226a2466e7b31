/**
 * The audit log, written inside the caller's transaction: if the record cannot be written the
 * transaction fails, and so does the action it records (fail closed, CUSTODY.md "Layers").
 */
import { SectorCryptError } from '../../errors.js';
import type { Sql } from './types.js';

export interface AuditInput {
  /** A user id, a device id, 'operator' or 'broker'. */
  actor: string;
  /** e.g. agent.enroll, key.release, key.deny, request.pending, request.approve, policy.update. */
  action: string;
  target?: string | null;
  outcome: 'success' | 'failure' | 'pending' | 'denied';
  reasons?: unknown;
  requestId?: string | null;
  sourceIp?: string | null;
}

export interface AuditRecord extends Required<Omit<AuditInput, 'reasons'>> {
  seq: number;
  time: string;
  reasons: unknown;
}

/**
 * Appends one record to the tenant's log and returns its seq. Taking the next seq locks the
 * tenant row until commit, so appends from every broker process form one gapless sequence.
 */
export async function appendAudit(q: Sql, tenantId: string, rec: AuditInput): Promise<number> {
  const rows = await q.query<{ audit_seq: number }>(
    'UPDATE tenants SET audit_seq = audit_seq + 1 WHERE id = $1 RETURNING audit_seq',
    [tenantId],
  );
  if (rows.length !== 1) throw new SectorCryptError('ERR_NOT_FOUND', 'no such tenant for the audit record');
  const seq = Number(rows[0]!.audit_seq);
  await q.query(
    `INSERT INTO audit_log (tenant_id, seq, time, actor, action, target, outcome, reasons, request_id, source_ip)
     VALUES ($1, $2, clock_timestamp(), $3, $4, $5, $6, $7, $8, $9)`,
    [
      tenantId,
      seq,
      rec.actor,
      rec.action,
      rec.target ?? null,
      rec.outcome,
      rec.reasons === undefined ? null : JSON.stringify(rec.reasons),
      rec.requestId ?? null,
      rec.sourceIp ?? null,
    ],
  );
  return seq;
}

export async function readAudit(q: Sql, tenantId: string, after: number, limit: number): Promise<AuditRecord[]> {
  const rows = await q.query<Record<string, unknown>>(
    `SELECT seq, time, actor, action, target, outcome, reasons, request_id, source_ip
       FROM audit_log WHERE tenant_id = $1 AND seq > $2 ORDER BY seq LIMIT $3`,
    [tenantId, after, limit],
  );
  return rows.map((r) => ({
    seq: Number(r.seq),
    time: new Date(r.time as string).toISOString(),
    actor: r.actor as string,
    action: r.action as string,
    target: (r.target as string | null) ?? null,
    outcome: r.outcome as AuditRecord['outcome'],
    reasons: r.reasons ?? null,
    requestId: (r.request_id as string | null) ?? null,
    sourceIp: (r.source_ip as string | null) ?? null,
  }));
}
