/** The devices, enrollment_tokens and tpm_challenges tables: every statement on them is here, by name. */
import type { Sql } from '../store/types.js';

/** A devices row as the signature check reads it. */
export interface DeviceRow {
  id: string;
  tenant_id: string;
  name: string;
  groups: string[];
  public_key: Uint8Array;
  enrolled_at: string;
  revoked_at: string | null;
  /** Enrolled with a TPM (an AK bound at enrollment; never changes afterwards). */
  tpm: boolean;
}

/** An enrollment_tokens row without its hash. */
export interface EnrollmentTokenRow {
  id: string;
  groups: string[];
  uses_left: number;
  created_by: string;
  created_at: string;
  expires_at: string;
  revoked_at: string | null;
}

const DEVICE = 'SELECT id, tenant_id, name, groups, public_key, enrolled_at, tpm_ak_public IS NOT NULL AS tpm FROM devices WHERE id = $1';
const LIST_DEVICES = `SELECT id, name, groups, enrolled_at, revoked_at, tpm_ak_public IS NOT NULL AS tpm, tpm_activated_at, tpm_verified_at
  FROM devices WHERE tenant_id = $1 ORDER BY enrolled_at, id`;
const KEY_ENROLLED = 'SELECT 1 FROM devices WHERE tenant_id = $1 AND public_key = $2';
const INSERT_DEVICE = 'INSERT INTO devices (tenant_id, id, name, public_key, groups, description) VALUES ($1, $2, $3, $4, $5, $6)';
const REVOKE_DEVICE =
  'UPDATE devices SET revoked_at = coalesce(revoked_at, now()) WHERE tenant_id = $1 AND id = $2 RETURNING id, name, groups, enrolled_at, revoked_at';
const INSERT_TOKEN = `INSERT INTO enrollment_tokens (tenant_id, id, token_hash, groups, uses_left, expires_at, created_by)
           VALUES ($1, $2, $3, $4, $5, now() + make_interval(secs => $6), $7) RETURNING expires_at`;
// Spending a use and enrolling are one transaction: a token of N uses enrolls N devices.
const SPEND_TOKEN = `UPDATE enrollment_tokens SET uses_left = uses_left - 1
            WHERE token_hash = $1 AND uses_left > 0 AND expires_at > now() RETURNING tenant_id, id, groups`;
const SPENT_TOKEN = 'SELECT tenant_id, id, expires_at <= now() AS expired FROM enrollment_tokens WHERE token_hash = $1';
const LIST_TOKENS = `SELECT id, groups, uses_left, created_by, created_at, expires_at, revoked_at FROM enrollment_tokens
          WHERE tenant_id = $1 AND ($2 OR (revoked_at IS NULL AND uses_left > 0 AND expires_at > now()))
          ORDER BY created_at DESC, id LIMIT 1000`;
const REVOKE_TOKEN = `UPDATE enrollment_tokens SET uses_left = 0, revoked_at = coalesce(revoked_at, now()) WHERE tenant_id = $1 AND id = $2
         RETURNING id, groups, uses_left, created_by, created_at, expires_at, revoked_at`;

/** A device by id, any tenant (the signature names its device by id alone). */
export async function device(q: Sql, id: string): Promise<Omit<DeviceRow, 'revoked_at'> | undefined> {
  return (await q.query<Omit<DeviceRow, 'revoked_at'>>(DEVICE, [id]))[0];
}

export async function listDevices(
  q: Sql,
  tenantId: string,
): Promise<(Omit<DeviceRow, 'tenant_id' | 'public_key'> & { tpm_activated_at: string | null; tpm_verified_at: string | null })[]> {
  return q.query(LIST_DEVICES, [tenantId]);
}

/** Whether this public key is enrolled in this tenant already (another tenant's is not the caller's to learn). */
export async function keyEnrolled(q: Sql, tenantId: string, publicKey: Uint8Array): Promise<boolean> {
  return (await q.query(KEY_ENROLLED, [tenantId, publicKey])).length > 0;
}

export async function insertDevice(
  q: Sql,
  tenantId: string,
  id: string,
  name: string,
  publicKey: Uint8Array,
  groups: string[],
  description: unknown,
): Promise<void> {
  await q.query(INSERT_DEVICE, [tenantId, id, name, publicKey, groups, JSON.stringify(description)]);
}

/** Revokes a device (again: no change); undefined when the tenant has no such device. */
export async function revokeDevice(
  q: Sql,
  tenantId: string,
  id: string,
): Promise<Omit<DeviceRow, 'tenant_id' | 'public_key' | 'tpm'> | undefined> {
  return (await q.query<Omit<DeviceRow, 'tenant_id' | 'public_key' | 'tpm'>>(REVOKE_DEVICE, [tenantId, id]))[0];
}

export async function insertToken(
  q: Sql,
  t: { tenantId: string; id: string; tokenHash: string; groups: string[]; uses: number; seconds: number; createdBy: string },
): Promise<string> {
  const rows = await q.query<{ expires_at: string }>(INSERT_TOKEN, [
    t.tenantId,
    t.id,
    t.tokenHash,
    t.groups,
    t.uses,
    t.seconds,
    t.createdBy,
  ]);
  return rows[0]!.expires_at;
}

/** Spends one use of a live token; undefined when there is none. */
export async function spendToken(q: Sql, tokenHash: string): Promise<{ tenant_id: string; id: string; groups: string[] } | undefined> {
  return (await q.query<{ tenant_id: string; id: string; groups: string[] }>(SPEND_TOKEN, [tokenHash]))[0];
}

/** A token that exists but could not be spent: whether it expired. */
export async function spentToken(q: Sql, tokenHash: string): Promise<{ tenant_id: string; id: string; expired: boolean } | undefined> {
  return (await q.query<{ tenant_id: string; id: string; expired: boolean }>(SPENT_TOKEN, [tokenHash]))[0];
}

export async function listTokens(q: Sql, tenantId: string, all: boolean): Promise<EnrollmentTokenRow[]> {
  return q.query<EnrollmentTokenRow>(LIST_TOKENS, [tenantId, all]);
}

export async function revokeToken(q: Sql, tenantId: string, id: string): Promise<EnrollmentTokenRow | undefined> {
  return (await q.query<EnrollmentTokenRow>(REVOKE_TOKEN, [tenantId, id]))[0];
}

// TPM 2.0 (devices/tpm.ts): the EK and AK of a device, its activation, its challenges.
const TPM_EK_ENROLLED =
  'SELECT id FROM devices WHERE tenant_id = $1 AND tpm_ek_hash = $2 AND tpm_activated_at IS NOT NULL AND revoked_at IS NULL';
const SET_DEVICE_TPM = 'UPDATE devices SET tpm_ek_hash = $3, tpm_ak_public = $4 WHERE tenant_id = $1 AND id = $2';
const ACTIVATE_TPM = `UPDATE devices d SET tpm_activated_at = now() WHERE d.tenant_id = $1 AND d.id = $2 AND d.tpm_activated_at IS NULL AND d.revoked_at IS NULL
     AND NOT EXISTS (SELECT 1 FROM devices o WHERE o.tenant_id = d.tenant_id AND o.tpm_ek_hash = d.tpm_ek_hash AND o.id <> d.id
                     AND o.tpm_activated_at IS NOT NULL AND o.revoked_at IS NULL)
   RETURNING d.id`;
// Two activations of one EK at once: the second waits for the first's commit, so its
// NOT EXISTS (a new snapshot per statement) sees it and answers false, not a unique violation.
const LOCK_TPM_EK = `SELECT pg_advisory_xact_lock(hashtextextended(d.tenant_id || ':' || encode(d.tpm_ek_hash, 'hex'), 0))
  FROM devices d WHERE d.tenant_id = $1 AND d.id = $2 AND d.tpm_ek_hash IS NOT NULL`;
const DEVICE_TPM = 'SELECT tpm_activated_at, tpm_claims, tpm_verified_at FROM devices WHERE tenant_id = $1 AND id = $2';
const SAVE_TPM_EVIDENCE = `UPDATE devices SET tpm_reset_count = greatest(coalesce(tpm_reset_count, 0), $3), tpm_claims = $4, tpm_verified_at = now()
  WHERE tenant_id = $1 AND id = $2`;
const INSERT_CHALLENGE = `INSERT INTO tpm_challenges (tenant_id, id, device_id, purpose, value, pcrs, expires_at)
  VALUES ($1, $2, $3, $4, $5, $6, now() + make_interval(secs => $7)) RETURNING expires_at`;
// Spent by this one statement, whatever comes of it: a second use finds nothing.
const SPEND_CHALLENGE = `UPDATE tpm_challenges c SET spent_at = now() FROM devices d
  WHERE c.tenant_id = $1 AND c.id = $2 AND c.device_id = $3 AND c.purpose = $4 AND c.spent_at IS NULL
    AND d.id = c.device_id AND d.tenant_id = c.tenant_id
  RETURNING c.value, c.pcrs, c.expires_at <= now() AS expired, d.tpm_ak_public, d.tpm_reset_count`;
const DROP_OLD_CHALLENGES = "DELETE FROM tpm_challenges WHERE expires_at < now() - interval '1 day'";

/** The id of a live, activated device of this tenant bound to this EK, if any. */
export async function tpmEkEnrolled(q: Sql, tenantId: string, ekHash: Uint8Array): Promise<string | undefined> {
  return (await q.query<{ id: string }>(TPM_EK_ENROLLED, [tenantId, ekHash]))[0]?.id;
}

export async function setDeviceTpm(q: Sql, tenantId: string, id: string, ekHash: Uint8Array, akPublic: Uint8Array): Promise<void> {
  await q.query(SET_DEVICE_TPM, [tenantId, id, ekHash, akPublic]);
}

/** Marks the AK activated; false when it already was, the device is revoked, or another live device activated this EK meanwhile. */
export async function activateTpm(q: Sql, tenantId: string, id: string): Promise<boolean> {
  await q.query(LOCK_TPM_EK, [tenantId, id]);
  return (await q.query(ACTIVATE_TPM, [tenantId, id])).length > 0;
}

export async function deviceTpm(
  q: Sql,
  tenantId: string,
  id: string,
): Promise<{ tpm_activated_at: string | null; tpm_claims: Record<string, unknown> | null; tpm_verified_at: string | null } | undefined> {
  return (
    await q.query<{ tpm_activated_at: string | null; tpm_claims: Record<string, unknown> | null; tpm_verified_at: string | null }>(
      DEVICE_TPM,
      [tenantId, id],
    )
  )[0];
}

/** The last verified evidence of a device: its resetCount (never lowered) and its claims. */
export async function saveTpmEvidence(q: Sql, tenantId: string, id: string, resetCount: number, claims: unknown): Promise<void> {
  await q.query(SAVE_TPM_EVIDENCE, [tenantId, id, resetCount, JSON.stringify(claims)]);
}

export async function insertChallenge(
  q: Sql,
  c: { tenantId: string; id: string; deviceId: string; purpose: 'activate' | 'quote'; value: Uint8Array; pcrs: number[]; seconds: number },
): Promise<string> {
  await q.query(DROP_OLD_CHALLENGES);
  const rows = await q.query<{ expires_at: string }>(INSERT_CHALLENGE, [
    c.tenantId,
    c.id,
    c.deviceId,
    c.purpose,
    c.value,
    c.pcrs,
    c.seconds,
  ]);
  return rows[0]!.expires_at;
}

export interface SpentChallenge {
  value: Uint8Array;
  pcrs: number[];
  expired: boolean;
  tpm_ak_public: Uint8Array | null;
  tpm_reset_count: string | number | null;
}

/** Spends a challenge of this device (once: a second call finds nothing); undefined when there is none to spend. */
export async function spendChallenge(
  q: Sql,
  tenantId: string,
  id: string,
  deviceId: string,
  purpose: 'activate' | 'quote',
): Promise<SpentChallenge | undefined> {
  return (await q.query<SpentChallenge>(SPEND_CHALLENGE, [tenantId, id, deviceId, purpose]))[0];
}
