/**
 * A tenant's log key and checkpoints. The key is Ed25519 (C2SP signed-note), made with the
 * tenant; its seed is sealed at rest under the root key like a broker key (root-key/seal.ts), with
 * AAD `<tenant>/audit-log/1`. A checkpoint (C2SP tlog-checkpoint) names the origin
 * `sectorcrypt-broker/<tenantId>` and is signed with the key of the same name.
 */
import { randomBytes } from 'node:crypto';
import { publicKeyOf, signCheckpoint, verifierKey } from '../../audit/index.js';
import type { Sql, Store } from '../store/types.js';
import { openAtRest, sealAtRest } from '../root-key/seal.js';
import { auditSize } from './log.js';
import { treeRoot } from './tree.js';

const LOG_PUBLIC_KEY = 'SELECT public_key FROM audit_log_keys WHERE tenant_id = $1';
const INSERT_LOG_KEY = 'INSERT INTO audit_log_keys (tenant_id, public_key, sealed_secret) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING';
const CHECKPOINT_AT = 'SELECT note FROM audit_checkpoints WHERE tenant_id = $1 AND size = $2';
const SEALED_LOG_KEY = 'SELECT sealed_secret FROM audit_log_keys WHERE tenant_id = $1';
const INSERT_CHECKPOINT = 'INSERT INTO audit_checkpoints (tenant_id, size, note) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING';
const LAST_SIGNED_SIZE = 'SELECT max(size) AS size FROM audit_checkpoints WHERE tenant_id = $1';
const LOCK_LOG_KEY = 'SELECT 1 FROM audit_log_keys WHERE tenant_id = $1 FOR UPDATE';
const RECORD_QUIET = 'SELECT time <= now() - make_interval(secs => $3) AS quiet FROM audit_log WHERE tenant_id = $1 AND seq = $2';

const KEY_ID = 'audit-log';
const LOCK_SEALED_LOG_KEYS =
  "SELECT tenant_id, 'audit-log' AS key_id, 1 AS version, sealed_secret FROM audit_log_keys ORDER BY tenant_id FOR UPDATE";
const RESEAL_LOG_KEY = 'UPDATE audit_log_keys SET sealed_secret = $1 WHERE tenant_id = $2';
const SIGNED_CHECKPOINTS = 'SELECT size, note FROM audit_checkpoints WHERE tenant_id = $1 ORDER BY size';

export function logOrigin(tenantId: string): string {
  return `sectorcrypt-broker/${tenantId}`;
}

/** Makes the tenant's log key unless it has one (several brokers may race: the first wins). */
export async function ensureLogKey(q: Sql, rootKey: Uint8Array, tenantId: string): Promise<Uint8Array> {
  const have = await q.query<{ public_key: Uint8Array }>(LOG_PUBLIC_KEY, [tenantId]);
  if (have.length) return new Uint8Array(have[0]!.public_key);
  const seed = new Uint8Array(randomBytes(32));
  try {
    await q.query(INSERT_LOG_KEY, [tenantId, publicKeyOf(seed), sealAtRest(rootKey, tenantId, KEY_ID, 1, seed)]);
  } finally {
    seed.fill(0);
  }
  const rows = await q.query<{ public_key: Uint8Array }>(LOG_PUBLIC_KEY, [tenantId]);
  return new Uint8Array(rows[0]!.public_key);
}

export async function logVerifierKey(q: Sql, rootKey: Uint8Array, tenantId: string): Promise<string> {
  return verifierKey(logOrigin(tenantId), await ensureLogKey(q, rootKey, tenantId));
}

/** The checkpoint at tree size `size`, signed now if it was not before. */
export async function checkpointAt(db: Sql, rootKey: Uint8Array, tenantId: string, size: number): Promise<string> {
  const have = await db.query<{ note: string }>(CHECKPOINT_AT, [tenantId, size]);
  if (have.length) return have[0]!.note;
  await ensureLogKey(db, rootKey, tenantId);
  const keys = await db.query<{ sealed_secret: Uint8Array }>(SEALED_LOG_KEY, [tenantId]);
  const rootHash = await treeRoot(db, tenantId, size);
  const seed = openAtRest(rootKey, tenantId, KEY_ID, 1, new Uint8Array(keys[0]!.sealed_secret));
  let note: string;
  try {
    note = signCheckpoint({ origin: logOrigin(tenantId), size, rootHash }, { name: logOrigin(tenantId), secretKey: seed });
  } finally {
    seed.fill(0);
  }
  // Ed25519 is deterministic: a racing broker signs the same note, so either row is the same.
  await db.query(INSERT_CHECKPOINT, [tenantId, size, note]);
  return note;
}

/** The checkpoint at the log's current size (signed on demand). */
export async function latestCheckpoint(db: Store, rootKey: Uint8Array, tenantId: string): Promise<{ size: number; note: string }> {
  const size = await auditSize(db, tenantId);
  return { size, note: await checkpointAt(db, rootKey, tenantId, size) };
}

/** The largest tree size signed so far, 0 when none. */
export async function lastSignedSize(q: Sql, tenantId: string): Promise<number> {
  const rows = await q.query<{ size: number | null }>(LAST_SIGNED_SIZE, [tenantId]);
  return Number(rows[0]?.size ?? 0);
}

/**
 * Signs the tenant's log at its current size when it is due: it grew by `everyRecords` or
 * more since the last checkpoint, or (with `quietSeconds`) its oldest unsigned record is that
 * old. Returns the largest signed size afterwards.
 *
 * The tenant's log-key row is locked for the decision and the signature, so brokers sharing
 * one PostgreSQL take turns: the second sees the first's checkpoint and signs nothing, and
 * no two scheduled checkpoints are closer than `everyRecords` unless the log went quiet.
 * The lock is not the tenants row appends take, so appends never wait for a signature.
 */
export async function signIfDue(
  db: Store,
  rootKey: Uint8Array,
  tenantId: string,
  everyRecords: number,
  quietSeconds: number | null,
): Promise<number> {
  return db.tx(async (q) => {
    await ensureLogKey(q, rootKey, tenantId);
    await q.query(LOCK_LOG_KEY, [tenantId]);
    const last = await lastSignedSize(q, tenantId);
    const size = await auditSize(q, tenantId);
    if (size <= last) return last;
    let due = size - last >= everyRecords;
    if (!due && quietSeconds !== null) {
      // Record `last` is the oldest unsigned one (archived records are always signed).
      const rows = await q.query<{ quiet: boolean }>(RECORD_QUIET, [tenantId, last, quietSeconds]);
      due = rows[0]?.quiet === true;
    }
    if (!due) return last;
    await checkpointAt(q, rootKey, tenantId, size);
    return size;
  });
}

/** Tenants whose oldest unsigned record is `quietSeconds` old or older (the timer's work). */
export async function quietTenants(db: Sql, quietSeconds: number): Promise<string[]> {
  const rows = await db.query<{ id: string }>(
    `SELECT t.id FROM tenants t
       CROSS JOIN LATERAL (SELECT coalesce(max(size), 0) AS signed FROM audit_checkpoints c WHERE c.tenant_id = t.id) c
      WHERE t.audit_seq > c.signed
        AND EXISTS (SELECT 1 FROM audit_log l WHERE l.tenant_id = t.id AND l.seq = c.signed AND l.time <= now() - make_interval(secs => $1))`,
    [quietSeconds],
  );
  return rows.map((r) => r.id);
}

/** Every checkpoint signed for the tenant's log, by size. */
export async function signedCheckpoints(q: Sql, tenantId: string): Promise<{ size: number; note: string }[]> {
  const rows = await q.query<{ size: number; note: string }>(SIGNED_CHECKPOINTS, [tenantId]);
  return rows.map((r) => ({ size: Number(r.size), note: r.note }));
}

/** Every tenant's sealed log key, locked, for the root key's rotation (root-key/rotate.ts). */
export async function lockSealedLogKeys(
  q: Sql,
): Promise<{ tenant_id: string; key_id: string; version: number; sealed_secret: Uint8Array }[]> {
  return q.query(LOCK_SEALED_LOG_KEYS);
}

export async function resealLogKey(q: Sql, tenantId: string, sealed: Uint8Array): Promise<void> {
  await q.query(RESEAL_LOG_KEY, [sealed, tenantId]);
}
