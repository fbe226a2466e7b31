/**
 * The broker's one door to its database. Both back ends (PGlite in process, PostgreSQL over
 * `pg`) speak the same SQL; this interface hides only how a query and a transaction are run.
 */
export type Row = Record<string, unknown>;

/** Runs one statement; parameters are $1, $2, ... */
export interface Sql {
  query<T = Row>(text: string, params?: unknown[]): Promise<T[]>;
  /**
   * Set inside the broker's transactions (audit/checkpoint-signer.ts): the tenant's audit log now
   * holds `size` records. Heard only once the transaction commits.
   */
  auditAppended?(tenantId: string, size: number): void;
  /**
   * Set inside the broker's transactions (store/after-commit.ts): `work` runs once the
   * transaction commits, outside it (VACUUM cannot run in one), and the transaction's
   * promise settles only when it is done. A rolled-back or retried attempt drops it.
   */
  afterCommit?(work: () => Promise<void>): void;
}

export interface Store extends Sql {
  readonly kind: 'pglite' | 'postgres';
  /**
   * Runs `fn` in one transaction: commit when it returns, roll back when it throws. On
   * PostgreSQL the transaction is retried a few times when the server reports a
   * serialization failure or deadlock (40001, 40P01), so `fn` must have no side effects
   * outside the database.
   */
  tx<T>(fn: (q: Sql) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}
