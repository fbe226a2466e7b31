/**
 * Destroying a key (separation/routes.ts, key.destroy) erases its sealed secret keys from the
 * database's files, not only from its rows. PostgreSQL's UPDATE leaves the old row version in
 * the table's file, and its write-ahead log keeps the row as it was inserted; either opens
 * with root.key. So, once the destroy commits:
 *
 * 1. `VACUUM FULL key_versions` writes the table's live rows to a new file and truncates the
 *    old one (PostgreSQL docs, "VACUUM": FULL "writes an entirely new copy of the table").
 * 2. The WAL: `CHECKPOINT`, `pg_switch_wal()`, `CHECKPOINT`. The second checkpoint's redo
 *    point lies in a segment begun after the switch, so every segment before it, the ones
 *    holding the key's INSERT, is removed (PostgreSQL docs, "WAL Configuration") -- removed,
 *    not renamed for reuse with its old bytes, only where `wal_recycle` is off. PGlite runs
 *    with it off (store/pglite.ts), as the broker's only session. On a PostgreSQL server the
 *    setting is the server's: the broker runs the three steps only when the server has
 *    `wal_recycle = off`, and when its role may (superuser, or pg_checkpoint and EXECUTE on
 *    pg_switch_wal); otherwise the WAL keeps the rows until the server overwrites them
 *    (docs/broker.md "Keys" says what remains where).
 */
import type { Sql, Store } from '../store/types.js';
import type { BrokerContext } from '../context.js';
import * as keyRows from './repository.js';

/** Inside the destroy's transaction: the secrets go from the rows, the files follow after the commit. */
export async function eraseKeySecrets(q: Sql, store: Store, tenantId: string, keyId: string): Promise<void> {
  await keyRows.eraseSecrets(q, tenantId, keyId);
  // Fail closed: a transaction that cannot run the compaction afterwards does not destroy.
  if (!q.afterCommit) throw new Error('key erasure needs a transaction with afterCommit (store/after-commit.ts)');
  q.afterCommit(() => compactKeyVersions(store));
}

const INSUFFICIENT_PRIVILEGE = '42501';

/** Rewrites key_versions without its dead rows, then moves the WAL past them where the server lets us. */
export async function compactKeyVersions(store: Store): Promise<void> {
  await keyRows.compactVersions(store);
  if (store.kind === 'postgres') {
    const [setting] = await store.query<{ wal_recycle: string }>('SHOW wal_recycle');
    if (setting?.wal_recycle !== 'off') return; // recycled segments keep their bytes: nothing to gain
  }
  try {
    await store.query('CHECKPOINT');
    await store.query('SELECT pg_switch_wal()');
    await store.query('CHECKPOINT');
  } catch (err) {
    if ((err as { code?: string }).code !== INSUFFICIENT_PRIVILEGE) throw err;
  }
}

/** A confirmed key.destroy (separation/routes.ts): the secrets, the key's state, the cache. */
export async function eraseKey(q: Sql, ctx: BrokerContext, tenantId: string, keyId: string): Promise<void> {
  // Crypto-erase: the sealed secret keys go; the public keys stay for the record.
  await eraseKeySecrets(q, ctx.db, tenantId, keyId);
  await keyRows.markDestroyed(q, tenantId, keyId);
  ctx.versionKeys.forget(tenantId, keyId);
}
