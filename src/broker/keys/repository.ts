/**
 * The broker_keys and key_versions tables: every statement on them is here, by name, and
 * nothing else writes them (the root key's rotation re-seals through reseal* below).
 */
import { SectorCryptError } from '../../errors.js';
import type { Sql } from '../store/types.js';

/** A key_versions row with its key's state (the one row type of a version). */
export interface KeyVersionRow {
  tenant_id: string;
  key_id: string;
  version: number;
  public_key: Uint8Array;
  sealed_secret: Uint8Array | null;
  retired_at: string | null;
  destroyed_at: string | null;
}

/** A key's state: destroyed or not, and its type (x25519: released to agents; aes256: used through XKS). */
export interface KeyState {
  destroyed_at: string | null;
  key_type: string;
}

/** A key with its versions, as GET /v1/keys lists them (one row per version). */
export interface KeyListRow {
  id: string;
  name: string;
  created_at: string;
  destroyed_at: string | null;
  version: number;
  public_key: Uint8Array;
  v_created: string;
  retired_at: string | null;
  key_type: string;
  usage: string[] | null;
  disabled_at: string | null;
}

const KEY_NAME_TAKEN = 'SELECT 1 FROM broker_keys WHERE tenant_id = $1 AND name = $2';
const INSERT_KEY = 'INSERT INTO broker_keys (tenant_id, id, name) VALUES ($1, $2, $3)';
const INSERT_FIRST_VERSION = 'INSERT INTO key_versions (tenant_id, key_id, version, public_key, sealed_secret) VALUES ($1, $2, 1, $3, $4)';
const INSERT_AES_KEY = "INSERT INTO broker_keys (tenant_id, id, name, key_type, usage) VALUES ($1, $2, $3, 'aes256', $4)";
// No public half: public_key is empty (the column predates key types and is NOT NULL).
const INSERT_AES_VERSION = 'INSERT INTO key_versions (tenant_id, key_id, version, public_key, sealed_secret) VALUES ($1, $2, 1, $3, $4)';
const SET_KEY_DISABLED =
  'UPDATE broker_keys SET disabled_at = CASE WHEN $3 THEN coalesce(disabled_at, now()) END WHERE tenant_id = $1 AND id = $2 RETURNING disabled_at';
const INSERT_VERSION = 'INSERT INTO key_versions (tenant_id, key_id, version, public_key, sealed_secret) VALUES ($1, $2, $3, $4, $5)';
const LIST_KEYS = `SELECT k.id, k.name, k.created_at, k.destroyed_at, k.key_type, k.usage, k.disabled_at, v.version, v.public_key, v.created_at AS v_created, v.retired_at
           FROM broker_keys k JOIN key_versions v ON v.key_id = k.id
          WHERE k.tenant_id = $1 ORDER BY k.created_at, k.id, v.version`;
// The key row lock makes concurrent rotations take turns (no duplicate version).
const LOCK_KEY_STATE = 'SELECT destroyed_at, key_type FROM broker_keys WHERE tenant_id = $1 AND id = $2 FOR UPDATE';
const LOCK_KEY = 'SELECT 1 FROM broker_keys WHERE tenant_id = $1 AND id = $2 FOR UPDATE';
const KEY_STATE = 'SELECT destroyed_at, key_type FROM broker_keys WHERE tenant_id = $1 AND id = $2';
const NEWEST_VERSION = 'SELECT max(version) AS v FROM key_versions WHERE key_id = $1';
const RETIRE_VERSION =
  'UPDATE key_versions SET retired_at = coalesce(retired_at, now()) WHERE tenant_id = $1 AND key_id = $2 AND version = $3 RETURNING retired_at';
const LOAD_VERSION = `SELECT v.tenant_id, v.key_id, v.version, v.public_key, v.sealed_secret, v.retired_at, k.destroyed_at
       FROM key_versions v JOIN broker_keys k ON k.id = v.key_id
      WHERE v.tenant_id = $1 AND v.key_id = $2 AND ($3::integer IS NULL OR v.version = $3)
      ORDER BY v.version DESC LIMIT 1`;
const KNOWN_KEYS = 'SELECT id FROM broker_keys WHERE tenant_id = $1 AND id = ANY($2)';
const ERASE_SECRETS = 'UPDATE key_versions SET sealed_secret = NULL WHERE tenant_id = $1 AND key_id = $2';
const MARK_DESTROYED = 'UPDATE broker_keys SET destroyed_at = now() WHERE tenant_id = $1 AND id = $2';
const LOCK_SEALED =
  'SELECT tenant_id, key_id, version, sealed_secret FROM key_versions WHERE sealed_secret IS NOT NULL ORDER BY tenant_id, key_id, version FOR UPDATE';
const RESEAL = 'UPDATE key_versions SET sealed_secret = $1 WHERE key_id = $2 AND version = $3';
const COMPACT = 'VACUUM FULL key_versions';

export async function nameTaken(q: Sql, tenantId: string, name: string): Promise<boolean> {
  return (await q.query(KEY_NAME_TAKEN, [tenantId, name])).length > 0;
}

/** A new key and its version 1. */
export async function insertKey(
  q: Sql,
  tenantId: string,
  keyId: string,
  name: string,
  v1: { publicKey: Uint8Array; sealed: Uint8Array },
): Promise<void> {
  await q.query(INSERT_KEY, [tenantId, keyId, name]);
  await q.query(INSERT_FIRST_VERSION, [tenantId, keyId, v1.publicKey, v1.sealed]);
}

export async function insertVersion(
  q: Sql,
  tenantId: string,
  keyId: string,
  version: number,
  made: { publicKey: Uint8Array; sealed: Uint8Array },
): Promise<void> {
  await q.query(INSERT_VERSION, [tenantId, keyId, version, made.publicKey, made.sealed]);
}

export async function listKeys(q: Sql, tenantId: string): Promise<KeyListRow[]> {
  return q.query<KeyListRow>(LIST_KEYS, [tenantId]);
}

/** The key's state, its row locked until the transaction ends; undefined when the tenant has no such key. */
export async function lockKeyState(q: Sql, tenantId: string, keyId: string): Promise<KeyState | undefined> {
  return (await q.query<KeyState>(LOCK_KEY_STATE, [tenantId, keyId]))[0];
}

/** Locks the key's row; false when the tenant has no such key. */
export async function lockKey(q: Sql, tenantId: string, keyId: string): Promise<boolean> {
  return (await q.query(LOCK_KEY, [tenantId, keyId])).length > 0;
}

export async function keyState(q: Sql, tenantId: string, keyId: string): Promise<KeyState | undefined> {
  return (await q.query<KeyState>(KEY_STATE, [tenantId, keyId]))[0];
}

/** An XKS key (aes256): its row and its one version, the AES key sealed under the root key. */
export async function insertAesKey(
  q: Sql,
  tenantId: string,
  keyId: string,
  name: string,
  usage: string[],
  sealed: Uint8Array,
): Promise<void> {
  await q.query(INSERT_AES_KEY, [tenantId, keyId, name, usage]);
  await q.query(INSERT_AES_VERSION, [tenantId, keyId, new Uint8Array(0), sealed]);
}

/** Disables (or enables) a key; its disabled_at, undefined when the tenant has no such key. */
export async function setKeyDisabled(
  q: Sql,
  tenantId: string,
  keyId: string,
  disabled: boolean,
): Promise<{ disabled_at: string | null } | undefined> {
  return (await q.query<{ disabled_at: string | null }>(SET_KEY_DISABLED, [tenantId, keyId, disabled]))[0];
}

export async function newestVersion(q: Sql, keyId: string): Promise<number> {
  const last = await q.query<{ v: number }>(NEWEST_VERSION, [keyId]);
  return Number(last[0]!.v);
}

/** Retires a version (again: no change); its retired_at, or undefined when there is no such version. */
export async function retireVersion(q: Sql, tenantId: string, keyId: string, version: number): Promise<string | undefined> {
  return (await q.query<{ retired_at: string }>(RETIRE_VERSION, [tenantId, keyId, version]))[0]?.retired_at;
}

/** One version of a key in a tenant, with the key's state; ERR_NOT_FOUND when absent. */
export async function loadVersion(q: Sql, tenantId: string, keyId: string, version: number | 'latest'): Promise<KeyVersionRow> {
  const rows = await q.query<KeyVersionRow>(LOAD_VERSION, [tenantId, keyId, version === 'latest' ? null : version]);
  const row = rows[0];
  if (!row) throw new SectorCryptError('ERR_NOT_FOUND', 'no such key or version');
  return { ...row, version: Number(row.version), public_key: new Uint8Array(row.public_key) };
}

/** Which of these key ids are the tenant's. */
export async function knownKeys(q: Sql, tenantId: string, ids: string[]): Promise<string[]> {
  return (await q.query<{ id: string }>(KNOWN_KEYS, [tenantId, ids])).map((r) => r.id);
}

/** Crypto-erase in the rows: the sealed secret keys go, the public keys stay for the record. */
export async function eraseSecrets(q: Sql, tenantId: string, keyId: string): Promise<void> {
  await q.query(ERASE_SECRETS, [tenantId, keyId]);
}

export async function markDestroyed(q: Sql, tenantId: string, keyId: string): Promise<void> {
  await q.query(MARK_DESTROYED, [tenantId, keyId]);
}

/** Rewrites key_versions without its dead rows (erase.ts says why). */
export async function compactVersions(q: Sql): Promise<void> {
  await q.query(COMPACT);
}

/** Every sealed secret, locked, for the root key's rotation. */
export async function lockSealedSecrets(
  q: Sql,
): Promise<{ tenant_id: string; key_id: string; version: number; sealed_secret: Uint8Array }[]> {
  return q.query(LOCK_SEALED);
}

export async function resealSecret(q: Sql, keyId: string, version: number, sealed: Uint8Array): Promise<void> {
  await q.query(RESEAL, [sealed, keyId, version]);
}
