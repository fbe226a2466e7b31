/**
 * Records written before the Merkle log (migration 3) have no hashed form. At start, each
 * such tenant's log is encoded and put into its tree, in seq order under the tenant's row
 * lock, so that appends and proofs work on upgraded data. The tree vouches for those
 * records from the upgrade on, not before (nothing hashed them then).
 */
import { encodeRecord, type AuditRecord, type AuditValue } from '../../audit/index.js';
import type { Store } from '../store/types.js';
import { addLeaf } from './tree.js';
import { lockLog, setHashedForm, tenantsWithUnhashed, unhashedRecords } from './log.js';

export async function backfillAuditTree(store: Store): Promise<number> {
  let done = 0;
  for (const tenantId of await tenantsWithUnhashed(store)) {
    done += await store.tx(async (q) => {
      await lockLog(q, tenantId);
      const rows = await unhashedRecords(q, tenantId);
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
        await setHashedForm(q, tenantId, record.seq, encoded.json, encoded.leafHash);
        await addLeaf(q, tenantId, record.seq, encoded.leafHash);
      }
      return rows.length;
    });
  }
  return done;
}
