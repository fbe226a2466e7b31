/** Applies the migrations this build knows and the database lacks, under one advisory lock. */
import type { Store } from './types.js';
import { MIGRATIONS } from './migrations.js';

/** Any constant: only broker processes take this advisory lock. */
const MIGRATION_LOCK = 0x5ec7c0de;

export async function migrate(store: Store): Promise<void> {
  await store.tx(async (q) => {
    // Two brokers starting together on one PostgreSQL: the second waits here, then finds
    // every migration applied.
    await q.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
    await q.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`);
    const done = new Set((await q.query<{ version: number }>('SELECT version FROM schema_migrations')).map((r) => Number(r.version)));
    for (const m of MIGRATIONS) {
      if (done.has(m.version)) continue;
      await q.query(m.sql);
      await q.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [m.version, m.name]);
    }
  });
}
