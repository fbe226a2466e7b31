/** The root_key table (the id of the key every secret is sealed under): every statement on it is here, by name. */
import type { Sql } from '../store/types.js';

const ROOT_KEY_ID = 'SELECT key_id FROM root_key WHERE id = 1';
// Writers of sealed secrets take this row FOR SHARE (migration 8): they finish first, or wait.
const LOCK_ROOT_KEY_ID = 'SELECT key_id FROM root_key WHERE id = 1 FOR UPDATE';
const INSERT_ROOT_KEY_ID = 'INSERT INTO root_key (id, key_id) VALUES (1, $1) ON CONFLICT DO NOTHING';
const SET_ROOT_KEY_ID = 'UPDATE root_key SET key_id = $1, rotated_at = now() WHERE id = 1';
/** One sealed secret of each kind, if any: a log key and a key version. */
const SOME_SEALED = `(SELECT tenant_id, 'audit-log' AS key_id, 1 AS version, sealed_secret FROM audit_log_keys LIMIT 1)
     UNION ALL (SELECT tenant_id, key_id, version, sealed_secret FROM key_versions WHERE sealed_secret IS NOT NULL LIMIT 1)`;

export async function rootKeyIdRow(q: Sql): Promise<Uint8Array | undefined> {
  const rows = await q.query<{ key_id: Uint8Array }>(ROOT_KEY_ID);
  return rows[0] ? new Uint8Array(rows[0].key_id) : undefined;
}

/** The id, its row locked until the transaction ends (a rotation). */
export async function lockRootKeyId(q: Sql): Promise<Uint8Array | undefined> {
  const rows = await q.query<{ key_id: Uint8Array }>(LOCK_ROOT_KEY_ID);
  return rows[0] ? new Uint8Array(rows[0].key_id) : undefined;
}

/** Records the id on a database that has none yet (the first broker to open it wins). */
export async function insertRootKeyId(q: Sql, id: Uint8Array): Promise<void> {
  await q.query(INSERT_ROOT_KEY_ID, [id]);
}

export async function setRootKeyId(q: Sql, id: Uint8Array): Promise<void> {
  await q.query(SET_ROOT_KEY_ID, [id]);
}

export async function someSealedSecrets(
  q: Sql,
): Promise<{ tenant_id: string; key_id: string; version: number; sealed_secret: Uint8Array }[]> {
  return q.query(SOME_SEALED);
}
