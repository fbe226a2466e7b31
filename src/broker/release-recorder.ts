/**
 * Commits release decisions (the request row and its audit record) in batches: whatever
 * arrives while one transaction commits goes into the next, one transaction at a time per
 * broker process. Appends to a tenant's log take its row lock until commit (store/audit.ts),
 * so one commit per release would bound a tenant to one release per commit latency; one
 * commit per batch bounds it to one batch per commit latency instead. Nothing waits for a
 * batch to fill: an idle broker commits a lone decision at once.
 *
 * Each caller's promise settles only after its batch committed (or failed): the answer to
 * the agent never leaves before the record is durable (routes/agent.ts).
 */
import type { Store } from './store/types.js';
import { appendAuditBatch, checkAuditInput, type AuditInput } from './store/audit.js';

/** A release_requests row, in the column order of COLUMNS. */
export type ReleaseRow = unknown[];

const COLUMNS = [
  'tenant_id', 'id', 'device_id', 'key_id', 'version', 'kind', 'resource', 'sealed_enc', 'sealed_ciphertext',
  'reply_public_key', 'claims', 'status', 'policy', 'approvers_needed', 'trace', 'created_at', 'expires_at', 'decided_at',
];

interface Pending {
  tenantId: string;
  row: ReleaseRow;
  audit: AuditInput;
  done: (err?: unknown) => void;
}

export class ReleaseRecorder {
  readonly #db: Store;
  readonly #maxBatch: number;
  #queue: Pending[] = [];
  #flushing = false;

  constructor(db: Store, maxBatch = 128) {
    this.#db = db;
    this.#maxBatch = maxBatch;
  }

  /** Resolves once the row and the record are committed; rejects if their batch failed. */
  record(tenantId: string, row: ReleaseRow, audit: AuditInput): Promise<void> {
    if (row.length !== COLUMNS.length) throw new Error(`a release row has ${COLUMNS.length} columns`);
    // A record that cannot be encoded fails alone, here, not the batch it would join.
    checkAuditInput(audit);
    return new Promise((resolve, reject) => {
      this.#queue.push({ tenantId, row, audit, done: (err) => (err === undefined ? resolve() : reject(err)) });
      if (!this.#flushing) void this.#flush();
    });
  }

  async #flush(): Promise<void> {
    this.#flushing = true;
    try {
      while (this.#queue.length) {
        const batch = this.#queue.splice(0, this.#maxBatch);
        try {
          await this.#db.tx(async (q) => {
            const tenants = new Map<string, Pending[]>();
            for (const p of batch) tenants.set(p.tenantId, [...(tenants.get(p.tenantId) ?? []), p]);
            // Tenants in a fixed order: two processes locking several tenant rows never deadlock.
            for (const tenantId of [...tenants.keys()].sort()) {
              const items = tenants.get(tenantId)!;
              const tuples = items.map((_, i) => `(${COLUMNS.map((__, c) => `$${i * COLUMNS.length + c + 1}`).join(', ')})`);
              const rows = { sql: `INSERT INTO release_requests (${COLUMNS.join(', ')}) VALUES ${tuples.join(', ')}`, params: items.flatMap((p) => p.row) };
              await appendAuditBatch(q, tenantId, items.map((p) => p.audit), rows);
            }
          });
        } catch (err) {
          for (const p of batch) p.done(err);
          continue;
        }
        for (const p of batch) p.done();
      }
    } finally {
      this.#flushing = false;
    }
  }
}
