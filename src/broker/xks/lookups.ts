/**
 * The XKS calls' reads in batches, as the release path admits its requests (release/admissions.ts):
 * whatever arrives while one statement runs goes into the next (batch-queue.ts), one
 * statement a batch instead of one a call. A batch the database refuses is read again one
 * call at a time, so one bad item fails alone.
 */
import type { Sql } from '../store/types.js';
import { BatchQueue } from '../release/batch-queue.js';
import { lookup, lookupMany, type XksLookup, type XksLookupRow } from './repository.js';

interface Pending {
  item: XksLookup;
  resolve: (row: XksLookupRow | undefined) => void;
  reject: (err: unknown) => void;
}

export class XksLookups {
  readonly #db: Sql;
  readonly #queue: BatchQueue<Pending>;

  constructor(db: Sql, maxBatch = 128) {
    this.#db = db;
    this.#queue = new BatchQueue((batch) => (batch.length === 1 ? this.#alone(batch[0]!) : this.#together(batch)), maxBatch);
  }

  lookup(item: XksLookup): Promise<XksLookupRow | undefined> {
    return new Promise((resolve, reject) => this.#queue.push({ item, resolve, reject }));
  }

  async #alone(p: Pending): Promise<void> {
    p.resolve(await lookup(this.#db, p.item));
  }

  async #together(batch: Pending[]): Promise<void> {
    let rows: (XksLookupRow | undefined)[];
    try {
      rows = await lookupMany(
        this.#db,
        batch.map((p) => p.item),
      );
    } catch {
      for (const p of batch) await this.#alone(p).catch(p.reject);
      return;
    }
    for (const [i, p] of batch.entries()) p.resolve(rows[i]);
  }
}
