/**
 * The xks_keystores and xks_credentials tables: every statement on them is here, by name, and
 * nothing else writes them (the root key's rotation re-seals through the reseal* functions).
 */
import type { Sql } from '../store/types.js';

export interface KeystoreRow {
  tenant_id: string;
  id: string;
  name: string;
  uri_path_id: string;
  created_at: string;
  disabled_at: string | null;
  mtls_subject_cn: string | null;
  mtls_ca_pem: string | null;
}

export interface CredentialRow {
  id: string;
  keystore_id: string;
  access_key_id: string;
  created_at: string;
  retired_at: string | null;
}

/** What one XKS call reads, in one statement (the hot path: xks/proxy.ts admitXks). */
export interface XksLookupRow {
  tenant_id: string;
  keystore_id: string;
  keystore_disabled_at: string | null;
  credential_id: string | null;
  credential_secret: Uint8Array | null;
  key_id: string | null;
  key_type: string | null;
  usage: string[] | null;
  key_disabled_at: string | null;
  key_destroyed_at: string | null;
  key_secret: Uint8Array | null;
  policies: unknown[] | null;
  /** The keystore's mutual TLS (migration 14): both set, or both null. */
  mtls_subject_cn: string | null;
  mtls_ca_pem: string | null;
}

const NAME_TAKEN = 'SELECT 1 FROM xks_keystores WHERE tenant_id = $1 AND name = $2';
const INSERT_KEYSTORE = 'INSERT INTO xks_keystores (tenant_id, id, name, uri_path_id) VALUES ($1, $2, $3, $4) RETURNING created_at';
const INSERT_CREDENTIAL =
  'INSERT INTO xks_credentials (tenant_id, id, keystore_id, access_key_id, sealed_secret) VALUES ($1, $2, $3, $4, $5) RETURNING created_at';
const LIST_KEYSTORES = `SELECT tenant_id, id, name, uri_path_id, created_at, disabled_at, mtls_subject_cn, mtls_ca_pem
       FROM xks_keystores WHERE tenant_id = $1 ORDER BY created_at, id`;
const LIST_CREDENTIALS = `SELECT c.id, c.keystore_id, c.access_key_id, c.created_at, c.retired_at
       FROM xks_credentials c WHERE c.tenant_id = $1 ORDER BY c.created_at, c.id`;
const LOCK_KEYSTORE = `SELECT tenant_id, id, name, uri_path_id, created_at, disabled_at, mtls_subject_cn, mtls_ca_pem
       FROM xks_keystores WHERE tenant_id = $1 AND id = $2 FOR UPDATE`;
const LIVE_CREDENTIALS =
  'SELECT id, keystore_id, access_key_id, created_at, retired_at FROM xks_credentials WHERE keystore_id = $1 AND retired_at IS NULL ORDER BY created_at, id';
const RETIRE_CREDENTIAL =
  'UPDATE xks_credentials SET retired_at = now() WHERE keystore_id = $1 AND access_key_id = $2 AND retired_at IS NULL RETURNING retired_at';
const SET_DISABLED =
  'UPDATE xks_keystores SET disabled_at = CASE WHEN $3 THEN coalesce(disabled_at, now()) END WHERE tenant_id = $1 AND id = $2';
const SET_MTLS = 'UPDATE xks_keystores SET mtls_subject_cn = $3, mtls_ca_pem = $4 WHERE tenant_id = $1 AND id = $2';
const KNOWN_KEYSTORES = 'SELECT id FROM xks_keystores WHERE tenant_id = $1 AND id = ANY($2)';
const LOCK_SEALED = 'SELECT tenant_id, id, sealed_secret FROM xks_credentials ORDER BY tenant_id, id FOR UPDATE';
const RESEAL = 'UPDATE xks_credentials SET sealed_secret = $2 WHERE id = $1';
// One call's read, and a batch's (migration 13's functions; lookups.ts batches them).
const LOOKUP = 'SELECT * FROM sc_xks_lookup($1, $2, $3, $4)';
const LOOKUPS = 'SELECT * FROM sc_xks_lookups($1::jsonb)';

export async function nameTaken(q: Sql, tenantId: string, name: string): Promise<boolean> {
  return (await q.query(NAME_TAKEN, [tenantId, name])).length > 0;
}

export async function insertKeystore(q: Sql, tenantId: string, id: string, name: string, uriPathId: string): Promise<string> {
  return (await q.query<{ created_at: string }>(INSERT_KEYSTORE, [tenantId, id, name, uriPathId]))[0]!.created_at;
}

export async function insertCredential(
  q: Sql,
  tenantId: string,
  id: string,
  keystoreId: string,
  accessKeyId: string,
  sealed: Uint8Array,
): Promise<string> {
  return (await q.query<{ created_at: string }>(INSERT_CREDENTIAL, [tenantId, id, keystoreId, accessKeyId, sealed]))[0]!.created_at;
}

export async function listKeystores(q: Sql, tenantId: string): Promise<KeystoreRow[]> {
  return q.query<KeystoreRow>(LIST_KEYSTORES, [tenantId]);
}

export async function listCredentials(q: Sql, tenantId: string): Promise<CredentialRow[]> {
  return q.query<CredentialRow>(LIST_CREDENTIALS, [tenantId]);
}

/** The keystore, its row locked until the transaction ends; undefined when the tenant has none by that id. */
export async function lockKeystore(q: Sql, tenantId: string, id: string): Promise<KeystoreRow | undefined> {
  return (await q.query<KeystoreRow>(LOCK_KEYSTORE, [tenantId, id]))[0];
}

/** The keystore's credentials not retired, oldest first. */
export async function liveCredentials(q: Sql, keystoreId: string): Promise<CredentialRow[]> {
  return q.query<CredentialRow>(LIVE_CREDENTIALS, [keystoreId]);
}

/** Retires a live credential; false when the keystore has no such live credential. */
export async function retireCredential(q: Sql, keystoreId: string, accessKeyId: string): Promise<boolean> {
  return (await q.query(RETIRE_CREDENTIAL, [keystoreId, accessKeyId])).length > 0;
}

export async function setDisabled(q: Sql, tenantId: string, id: string, disabled: boolean): Promise<void> {
  await q.query(SET_DISABLED, [tenantId, id, disabled]);
}

/** Sets the keystore's mutual TLS, or clears it (both null). */
export async function setMtls(q: Sql, tenantId: string, id: string, subjectCn: string | null, caPem: string | null): Promise<void> {
  await q.query(SET_MTLS, [tenantId, id, subjectCn, caPem]);
}

/** Which of these keystore ids are the tenant's. */
export async function knownKeystores(q: Sql, tenantId: string, ids: string[]): Promise<string[]> {
  return (await q.query<{ id: string }>(KNOWN_KEYSTORES, [tenantId, ids])).map((r) => r.id);
}

/** What an XKS call asks the database: its keystore's path, the signature's access key id, the path's key id. */
export interface XksLookup {
  uriPathId: string;
  accessKeyId: string | null;
  keyId: string | null;
  withPolicies: boolean;
}

function lookupRow(row: XksLookupRow): XksLookupRow {
  return {
    ...row,
    credential_secret: row.credential_secret ? new Uint8Array(row.credential_secret) : null,
    key_secret: row.key_secret ? new Uint8Array(row.key_secret) : null,
    policies: typeof row.policies === 'string' ? (JSON.parse(row.policies) as unknown[]) : row.policies,
  };
}

/** One row when the URI path names a keystore; undefined otherwise. */
export async function lookup(q: Sql, l: XksLookup): Promise<XksLookupRow | undefined> {
  const row = (await q.query<XksLookupRow>(LOOKUP, [l.uriPathId, l.accessKeyId, l.keyId, l.withPolicies]))[0];
  return row ? lookupRow(row) : undefined;
}

/** Several lookups in one statement: each answer at its index (undefined: no keystore at that path). */
export async function lookupMany(q: Sql, items: XksLookup[]): Promise<(XksLookupRow | undefined)[]> {
  const json = items.map((l, i) => ({ i, p: l.uriPathId, a: l.accessKeyId, k: l.keyId, w: l.withPolicies }));
  const rows = await q.query<XksLookupRow & { i: number }>(LOOKUPS, [JSON.stringify(json)]);
  const out: (XksLookupRow | undefined)[] = items.map(() => undefined);
  for (const { i, ...row } of rows) out[Number(i)] = lookupRow(row);
  return out;
}

/** Every sealed credential, locked, for the root key's rotation. */
export async function lockSealedCredentials(q: Sql): Promise<{ tenant_id: string; id: string; sealed_secret: Uint8Array }[]> {
  return q.query(LOCK_SEALED);
}

export async function resealCredential(q: Sql, id: string, sealed: Uint8Array): Promise<void> {
  await q.query(RESEAL, [id, sealed]);
}
