/**
 * Commits release decisions (the request row and its audit record), and XKS calls' records
 * (the record alone), in batches: whatever
 * arrives while one transaction commits goes into the next, one transaction at a time per
 * broker process (batch-queue.ts). Appends to a tenant's log take its row lock until commit (audit/log.ts),
 * so one commit per release would bound a tenant to one release per commit latency; one
 * commit per batch bounds it to one batch per commit latency instead. Nothing waits for a
 * batch to fill: an idle broker commits a lone decision at once.
 *
 * Each caller's promise settles only after its batch committed (or failed): the answer to
 * the agent never leaves before the record is durable (service.ts unwrap). A batch the database
 * refuses is tried again one item at a time, so one bad item fails alone.
 */
import type { Store } from '../store/types.js';
import { appendAuditBatch, byteaJson, checkAuditInput, type AuditInput } from '../audit/log.js';
import { BatchQueue } from './batch-queue.js';
import type { ReleaseRequestRow } from './repository.js';

/** A decision as it is recorded: released or denied now, or pending approval. */
export type ReleaseRow = ReleaseRequestRow<Date> & { status: 'released' | 'pending' | 'denied' };

/** The row as sc_audit_insert takes it (JSON; bytea in PostgreSQL's hex form). */
function rowJson(r: ReleaseRow): Record<string, unknown> {
  return {
    ...r,
    sealed_enc: byteaJson(r.sealed_enc),
    sealed_ciphertext: byteaJson(r.sealed_ciphertext),
    reply_public_key: byteaJson(r.reply_public_key),
  };
}

interface Pending {
  tenantId: string;
  /** null: an audit record alone (an XKS call, xks/proxy.ts). */
  row: ReleaseRow | null;
  audit: AuditInput;
  resolve: () => void;
  reject: (err: unknown) => void;
}

export class ReleaseRecorder {
  readonly #db: Store;
  readonly #queue: BatchQueue<Pending>;

  constructor(db: Store, maxBatch = 128) {
    this.#db = db;
    this.#queue = new BatchQueue((batch) => this.#commit(batch), maxBatch);
  }

  /** Resolves once the row (if any) and the record are committed; rejects if their batch failed. */
  record(tenantId: string, row: ReleaseRow | null, audit: AuditInput): Promise<void> {
    // A record that cannot be encoded fails alone, here, not the batch it would join.
    checkAuditInput(audit);
    return new Promise((resolve, reject) => this.#queue.push({ tenantId, row, audit, resolve, reject }));
  }

  async #commit(batch: Pending[]): Promise<void> {
    try {
      await this.#together(batch);
    } catch (err) {
      if (batch.length === 1) throw err;
      // The transaction rolled back whole. Each item alone, so that one the database refuses
      // fails by itself, not the releases of others that happened to arrive with it.
      for (const p of batch) await this.#together([p]).catch(p.reject);
    }
  }

  /** One transaction for these items; resolves each once it committed. */
  async #together(batch: Pending[]): Promise<void> {
    await this.#db.tx(async (q) => {
      const tenants = new Map<string, Pending[]>();
      for (const p of batch) {
        const items = tenants.get(p.tenantId);
        if (items) items.push(p);
        else tenants.set(p.tenantId, [p]);
      }
      // Tenants in a fixed order: two processes locking several tenant rows never deadlock.
      for (const tenantId of [...tenants.keys()].sort()) {
        const items = tenants.get(tenantId)!;
        const requests = items.flatMap((p) => (p.row ? [rowJson(p.row)] : []));
        await appendAuditBatch(
          q,
          tenantId,
          items.map((p) => p.audit),
          requests.length ? requests : undefined,
        );
      }
    });
    for (const p of batch) p.resolve();
  }
}
