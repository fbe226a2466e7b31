/**
 * Records written before the Merkle log (migration 3) have no hashed form. At start, each
 * such tenant's log is encoded and put into its tree, in seq order under the tenant's row
 * lock, so that appends and proofs work on upgraded data. The tree vouches for those
 * records from the upgrade on, not before (nothing hashed them then).
 */
import { encodeRecord, type AuditRecord, type AuditValue } from '../../audit/index.js';
import type { Store } from '../store/types.js';
import { addLeaf } from './tree.js';

export async function backfillAuditTree(store: Store): Promise<number> {
  const tenants = await store.query<{ tenant_id: string }>('SELECT DISTINCT tenant_id FROM audit_log WHERE leaf_hash IS NULL');
  let done = 0;
  for (const { tenant_id: tenantId } of tenants) {
    done += await store.tx(async (q) => {
      await q.query('SELECT 1 FROM tenants WHERE id = $1 FOR UPDATE', [tenantId]);
      const rows = await q.query<Record<string, unknown>>(
        'SELECT seq, time, actor, action, target, outcome, reasons, request_id, source_ip FROM audit_log WHERE tenant_id = $1 AND leaf_hash IS NULL ORDER BY seq',
        [tenantId],
      );
      for (const r of rows) {
        const record = {
          seq: Number(r.seq),
          time: new Date(r.time as string).toISOString(),
          actor: r.actor as string,
          action: r.action as string,
          target: (r.target as string | null) ?? null,
          outcome: r.outcome as string,
          reasons: (r.reasons ?? null) as AuditValue,
          requestId: (r.request_id as string | null) ?? null,
          sourceIp: (r.source_ip as string | null) ?? null,
        } as AuditRecord;
        const encoded = encodeRecord(record);
        await q.query('UPDATE audit_log SET record_json = $3, leaf_hash = $4 WHERE tenant_id = $1 AND seq = $2', [tenantId, record.seq, encoded.json, encoded.leafHash]);
        await addLeaf(q, tenantId, record.seq, encoded.leafHash);
      }
      return rows.length;
    });
  }
  return done;
}
