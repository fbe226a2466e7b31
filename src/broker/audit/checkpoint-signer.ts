/**
 * Signed checkpoints "at least every N records or T seconds" (docs/audit.md).
 *
 * Event-driven: the broker's transactions report each audit append (Sql.auditAppended); once
 * one commits with a log N or more records past its last checkpoint, a signature is
 * scheduled for after the answer (setImmediate), one at a time per tenant, appends that
 * arrive meanwhile coalesced into one more run. A timer signs quiet logs whose oldest
 * unsigned record is T seconds old. The decision is made again under a lock in the database
 * (checkpoints.ts signIfDue), so brokers sharing one PostgreSQL never both sign.
 */
import type { Sql, Store } from '../store/types.js';
import { quietTenants, signIfDue } from './checkpoints.js';

export interface CheckpointSchedule {
  /** Sign once a log grew by this many records since its last checkpoint (default 256). */
  everyRecords: number;
  /** ...or once its oldest unsigned record is this many seconds old (default 60). */
  everySeconds: number;
}

export const DEFAULT_CHECKPOINTS: CheckpointSchedule = { everyRecords: 256, everySeconds: 60 };

export class CheckpointSigner {
  readonly #db: Store;
  readonly #rootKey: Uint8Array;
  readonly #schedule: CheckpointSchedule;
  /** The largest signed size this process knows of, per tenant (a low guess only costs a check). */
  readonly #signed = new Map<string, number>();
  readonly #running = new Map<string, Promise<void>>();
  /** Runs asked for while one was going: quietSeconds, or null for the record count only. */
  readonly #again = new Map<string, number | null>();
  readonly #timer: NodeJS.Timeout;
  #sweep: Promise<void> = Promise.resolve();
  #closed = false;
  /** Told of a failed signature; the broker keeps serving and the next append or look retries. */
  onError: (err: unknown) => void = () => {};

  constructor(db: Store, rootKey: Uint8Array, schedule: CheckpointSchedule) {
    if (!Number.isInteger(schedule.everyRecords) || schedule.everyRecords < 1) throw new RangeError('everyRecords is a positive integer');
    if (!(schedule.everySeconds > 0)) throw new RangeError('everySeconds is positive');
    this.#db = db;
    this.#rootKey = rootKey;
    this.#schedule = schedule;
    // A quarter of T between looks: an unsigned record waits at most 1.25 T.
    this.#timer = setInterval(() => this.#sweepQuiet(), Math.max(250, (schedule.everySeconds * 1000) / 4));
    this.#timer.unref();
  }

  /** A store whose transactions report their appends here once they commit. */
  watch(store: Store): Store {
    return {
      kind: store.kind,
      query: (text, params) => store.query(text, params),
      close: () => store.close(),
      tx: async (fn) => {
        const grown = new Map<string, number>();
        const result = await store.tx((q) => {
          grown.clear(); // a retried transaction starts over
          const watched: Sql = {
            query: (text, params) => q.query(text, params),
            auditAppended: (tenantId, size) => grown.set(tenantId, Math.max(size, grown.get(tenantId) ?? 0)),
          };
          return fn(watched);
        });
        for (const [tenantId, size] of grown) this.appended(tenantId, size);
        return result;
      },
    };
  }

  /** The tenant's log holds `size` committed records. Never waits, never throws. */
  appended(tenantId: string, size: number): void {
    if (size - (this.#signed.get(tenantId) ?? 0) >= this.#schedule.everyRecords) this.#start(tenantId, null);
  }

  #start(tenantId: string, quietSeconds: number | null): void {
    if (this.#closed) return;
    if (this.#running.has(tenantId)) {
      this.#again.set(tenantId, quietSeconds ?? this.#again.get(tenantId) ?? null);
      return;
    }
    const run = new Promise<void>((resolve) => setImmediate(resolve))
      .then(() => signIfDue(this.#db, this.#rootKey, tenantId, this.#schedule.everyRecords, quietSeconds))
      .then(
        (signed) => {
          this.#signed.set(tenantId, Math.max(signed, this.#signed.get(tenantId) ?? 0));
        },
        (err: unknown) => this.onError(err),
      )
      .finally(() => {
        this.#running.delete(tenantId);
        const again = this.#again.get(tenantId);
        if (again !== undefined) {
          this.#again.delete(tenantId);
          this.#start(tenantId, again);
        }
      });
    this.#running.set(tenantId, run);
  }

  #sweepQuiet(): void {
    if (this.#closed) return;
    this.#sweep = this.#sweep
      .then(() => quietTenants(this.#db, this.#schedule.everySeconds))
      .then((tenants) => {
        for (const t of tenants) this.#start(t, this.#schedule.everySeconds);
      })
      .catch((err: unknown) => this.onError(err));
  }

  /** Resolves once every scheduled signature has finished (tests; close). */
  async settled(): Promise<void> {
    await this.#sweep;
    while (this.#running.size) await Promise.all([...this.#running.values()]);
  }

  /** Stops the timer and waits for signatures in flight. */
  async close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#timer);
    await this.settled();
  }
}
