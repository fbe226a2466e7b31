/**
 * Admits release requests in batches: the nonce, the device's revocation, the key version
 * asked for and the tenant's policies (sc_admit_release, store/migrations.ts 4), for every
 * request that arrived while the previous batch was in the database, in one statement
 * (sc_admit_releases, migration 6), one batch at a time (batch-queue.ts). One statement a
 * batch instead of one a request: on PostgreSQL a round trip and a backend wake-up each, on
 * PGlite a pass through the wire protocol each; bench/README.md has the figures.
 *
 * Each item is admitted by its own call inside the batch, in arrival order, so two requests
 * with one nonce in one batch admit the first only, as two statements would.
 */
import type { Sql } from '../store/types.js';
import { BatchQueue } from './batch-queue.js';

export interface Admission {
  tenantId: string;
  deviceId: string;
  nonce: string;
  keyId: string;
  version: number;
}

interface Pending {
  item: Admission;
  resolve: (row: unknown) => void;
  reject: (err: unknown) => void;
}

const SINGLE_SQL = 'SELECT * FROM sc_admit_release($1, $2, $3, $4, $5)';
const BATCH_SQL = 'SELECT * FROM sc_admit_releases($1::jsonb)';

export class ReleaseAdmissions {
  readonly #db: Sql;
  readonly #queue: BatchQueue<Pending>;

  constructor(db: Sql, maxBatch = 128) {
    this.#db = db;
    this.#queue = new BatchQueue((batch) => (batch.length === 1 ? this.#alone(batch[0]!) : this.#together(batch)), maxBatch);
  }

  /** The function's row for this request (undefined: none came back). */
  admit<T>(item: Admission): Promise<T | undefined> {
    return new Promise((resolve, reject) => this.#queue.push({ item, resolve: (row) => resolve(row as T | undefined), reject }));
  }

  async #alone(p: Pending): Promise<void> {
    const { tenantId, deviceId, nonce, keyId, version } = p.item;
    const [row] = await this.#db.query(SINGLE_SQL, [tenantId, deviceId, nonce, keyId, version]);
    p.resolve(row);
  }

  async #together(batch: Pending[]): Promise<void> {
    const items = batch.map((p, i) => ({ i, t: p.item.tenantId, d: p.item.deviceId, n: p.item.nonce, k: p.item.keyId, v: p.item.version }));
    let rows: ({ i: number } & Record<string, unknown>)[];
    try {
      rows = await this.#db.query(BATCH_SQL, [JSON.stringify(items)]);
    } catch {
      // The statement is atomic: nothing of it stayed. Each request alone, so that one bad
      // item fails by itself, not the requests that happened to arrive with it.
      for (const p of batch) await this.#alone(p).catch(p.reject);
      return;
    }
    const byIndex = new Map(rows.map(({ i, ...row }) => [Number(i), row]));
    for (const [i, p] of batch.entries()) p.resolve(byIndex.get(i));
  }
}
