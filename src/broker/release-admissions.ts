/**
 * Admits release requests in batches: the nonce, the device's revocation, the key version
 * asked for and the tenant's policies (sc_admit_release, store/migrations.ts 4), for every
 * request that arrived while the previous batch was in the database, in one statement
 * (sc_admit_releases, migration 6). One statement a batch instead of one a request: on
 * PostgreSQL a round trip and a backend wake-up each, on PGlite a pass through the wire
 * protocol each; bench/README.md has the figures. Nothing waits for a batch to fill: a lone
 * request goes at once.
 *
 * Each item is admitted by its own call inside the batch, in arrival order, so two requests
 * with one nonce in one batch admit the first only, as two statements would.
 */
import type { Sql } from './store/types.js';

export interface Admission {
  tenantId: string;
  deviceId: string;
  nonce: string;
  keyId: string;
  version: number;
}

interface Pending<T> {
  item: Admission;
  done: (row: T | undefined, err?: unknown) => void;
}

const SINGLE_SQL = 'SELECT * FROM sc_admit_release($1, $2, $3, $4, $5)';
const BATCH_SQL = 'SELECT * FROM sc_admit_releases($1::jsonb)';

export class ReleaseAdmissions {
  readonly #db: Sql;
  readonly #maxBatch: number;
  #queue: Pending<unknown>[] = [];
  #running = false;

  constructor(db: Sql, maxBatch = 128) {
    this.#db = db;
    this.#maxBatch = maxBatch;
  }

  /** The function's row for this request (undefined: none came back). */
  admit<T>(item: Admission): Promise<T | undefined> {
    return new Promise((resolve, reject) => {
      this.#queue.push({ item, done: (row, err) => (err === undefined ? resolve(row as T | undefined) : reject(err)) });
      if (!this.#running) void this.#run();
    });
  }

  async #run(): Promise<void> {
    this.#running = true;
    try {
      while (this.#queue.length) {
        const batch = this.#queue.splice(0, this.#maxBatch);
        if (batch.length === 1) await this.#alone(batch[0]!);
        else await this.#together(batch);
      }
    } finally {
      this.#running = false;
    }
  }

  async #alone(p: Pending<unknown>): Promise<void> {
    const { tenantId, deviceId, nonce, keyId, version } = p.item;
    try {
      const [row] = await this.#db.query(SINGLE_SQL, [tenantId, deviceId, nonce, keyId, version]);
      p.done(row);
    } catch (err) {
      p.done(undefined, err);
    }
  }

  async #together(batch: Pending<unknown>[]): Promise<void> {
    const items = batch.map((p, i) => ({ i, t: p.item.tenantId, d: p.item.deviceId, n: p.item.nonce, k: p.item.keyId, v: p.item.version }));
    let rows: ({ i: number } & Record<string, unknown>)[];
    try {
      rows = await this.#db.query(BATCH_SQL, [JSON.stringify(items)]);
    } catch {
      // The statement is atomic: nothing of it stayed. Each request alone, so that one bad
      // item fails by itself, not the requests that happened to arrive with it.
      for (const p of batch) await this.#alone(p);
      return;
    }
    const byIndex = new Map(rows.map(({ i, ...row }) => [Number(i), row]));
    for (const [i, p] of batch.entries()) p.done(byIndex.get(i));
  }
}
