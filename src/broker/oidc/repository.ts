/** The oidc_providers, oidc_client_secrets and oidc_logins tables (migration 11): every statement on them, by name. */
import type { Sql } from '../store/types.js';
import type { ProviderSettings } from './settings.js';

export interface ProviderRow {
  tenant_id: string;
  secret_id: string;
  settings: ProviderSettings;
  updated_by: string;
  updated_at: string;
}

export interface LoginRow {
  tenant_id: string;
  kind: 'browser' | 'device';
  binding_hash: string | null;
  nonce: string | null;
  code_verifier: string | null;
  device_code: string | null;
  interval_seconds: number | null;
  next_poll_at: string | null;
  expires_at: string;
  used_at: string | null;
}

const GET_PROVIDER = 'SELECT tenant_id, secret_id, settings, updated_by, updated_at FROM oidc_providers WHERE tenant_id = $1';
const PROVIDER_BY_TENANT_NAME = `SELECT p.tenant_id, p.secret_id, p.settings, p.updated_by, p.updated_at
  FROM oidc_providers p JOIN tenants t ON t.id = p.tenant_id WHERE t.name = $1`;
const UPSERT_PROVIDER = `INSERT INTO oidc_providers (tenant_id, secret_id, settings, updated_by) VALUES ($1, $2, $3, $4)
  ON CONFLICT (tenant_id) DO UPDATE SET secret_id = excluded.secret_id, settings = excluded.settings,
    updated_by = excluded.updated_by, updated_at = now()`;
const INSERT_SECRET = 'INSERT INTO oidc_client_secrets (tenant_id, id, sealed_secret) VALUES ($1, $2, $3)';
const GET_SECRET = 'SELECT sealed_secret FROM oidc_client_secrets WHERE tenant_id = $1 AND id = $2';
/** Secrets no provider row and no open action names any more. */
const DROP_UNUSED_SECRETS = `DELETE FROM oidc_client_secrets s WHERE s.tenant_id = $1
  AND NOT EXISTS (SELECT 1 FROM oidc_providers p WHERE p.secret_id = s.id)
  AND NOT EXISTS (SELECT 1 FROM pending_actions a WHERE a.tenant_id = s.tenant_id AND a.kind = 'oidc.update'
                   AND a.confirmed_at IS NULL AND a.cancelled_at IS NULL AND a.expires_at > now() AND a.payload->>'secretId' = s.id)`;
const LOCK_SECRETS = 'SELECT tenant_id, id, sealed_secret FROM oidc_client_secrets ORDER BY id FOR UPDATE';
const RESEAL_SECRET = 'UPDATE oidc_client_secrets SET sealed_secret = $2 WHERE id = $1';
const INSERT_LOGIN = `INSERT INTO oidc_logins (tenant_id, handle_hash, kind, binding_hash, nonce, code_verifier, device_code, interval_seconds, expires_at)
  VALUES ($1, $2, $3, $4, $5, $6, $7, $8, now() + make_interval(secs => $9))`;
const LOCK_LOGIN = `SELECT tenant_id, kind, binding_hash, nonce, code_verifier, device_code, interval_seconds, next_poll_at, expires_at, used_at
  FROM oidc_logins WHERE handle_hash = $1 FOR UPDATE`;
const USE_LOGIN = 'UPDATE oidc_logins SET used_at = now() WHERE handle_hash = $1 AND used_at IS NULL RETURNING 1';
const NEXT_POLL =
  'UPDATE oidc_logins SET interval_seconds = $2, next_poll_at = now() + make_interval(secs => $2 - 1) WHERE handle_hash = $1';
const PRUNE_LOGINS = "DELETE FROM oidc_logins WHERE expires_at < now() - interval '1 hour'";
const REVOKE_PROVIDER_SESSIONS =
  'UPDATE console_sessions SET revoked_at = now() WHERE tenant_id = $1 AND provider IS NOT NULL AND revoked_at IS NULL';

export async function getProvider(q: Sql, tenantId: string): Promise<ProviderRow | undefined> {
  return (await q.query<ProviderRow>(GET_PROVIDER, [tenantId]))[0];
}

export async function providerByTenantName(q: Sql, tenantName: string): Promise<ProviderRow | undefined> {
  return (await q.query<ProviderRow>(PROVIDER_BY_TENANT_NAME, [tenantName]))[0];
}

export async function upsertProvider(q: Sql, tenantId: string, secretId: string, settings: ProviderSettings, by: string): Promise<void> {
  await q.query(UPSERT_PROVIDER, [tenantId, secretId, JSON.stringify(settings), by]);
}

export async function insertSecret(q: Sql, tenantId: string, id: string, sealed: Uint8Array): Promise<void> {
  await q.query(INSERT_SECRET, [tenantId, id, sealed]);
}

export async function getSecret(q: Sql, tenantId: string, id: string): Promise<Uint8Array | undefined> {
  const row = (await q.query<{ sealed_secret: Uint8Array }>(GET_SECRET, [tenantId, id]))[0];
  return row ? new Uint8Array(row.sealed_secret) : undefined;
}

export async function dropUnusedSecrets(q: Sql, tenantId: string): Promise<void> {
  await q.query(DROP_UNUSED_SECRETS, [tenantId]);
}

/** Every sealed client secret, locked (root-key rotation). */
export async function lockSealedClientSecrets(q: Sql): Promise<{ tenant_id: string; id: string; sealed_secret: Uint8Array }[]> {
  return q.query<{ tenant_id: string; id: string; sealed_secret: Uint8Array }>(LOCK_SECRETS);
}

export async function resealClientSecret(q: Sql, id: string, sealed: Uint8Array): Promise<void> {
  await q.query(RESEAL_SECRET, [id, sealed]);
}

export async function insertLogin(
  q: Sql,
  l: {
    tenantId: string;
    handleHash: string;
    kind: 'browser' | 'device';
    bindingHash?: string;
    nonce?: string;
    codeVerifier?: string;
    deviceCode?: string;
    intervalSeconds?: number;
    seconds: number;
  },
): Promise<void> {
  await q.query(INSERT_LOGIN, [
    l.tenantId,
    l.handleHash,
    l.kind,
    l.bindingHash ?? null,
    l.nonce ?? null,
    l.codeVerifier ?? null,
    l.deviceCode ?? null,
    l.intervalSeconds ?? null,
    l.seconds,
  ]);
}

export async function lockLogin(q: Sql, handleHash: string): Promise<LoginRow | undefined> {
  return (await q.query<LoginRow>(LOCK_LOGIN, [handleHash]))[0];
}

/** Marks the sign-in used; false when it already was (each is used once). */
export async function useLogin(q: Sql, handleHash: string): Promise<boolean> {
  return (await q.query(USE_LOGIN, [handleHash])).length > 0;
}

export async function nextPoll(q: Sql, handleHash: string, intervalSeconds: number): Promise<void> {
  await q.query(NEXT_POLL, [handleHash, intervalSeconds]);
}

export async function pruneLogins(q: Sql): Promise<void> {
  await q.query(PRUNE_LOGINS);
}

/** A changed provider ends the sessions it made (their roles came from the old mapping). */
export async function revokeProviderSessions(q: Sql, tenantId: string): Promise<void> {
  await q.query(REVOKE_PROVIDER_SESSIONS, [tenantId]);
}
