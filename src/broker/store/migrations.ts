/**
 * The schema, as numbered migrations applied in order at start (each in its own
 * transaction, recorded in schema_migrations). Never edit a migration that has shipped: add
 * the next one.
 *
 * Every table carries tenant_id, so that the tenant issue can scope every query by it; the
 * deployment's own records (the operator, tenant creation) live under the 'system' tenant.
 */
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const SYSTEM_TENANT = 'system';

export const MIGRATIONS: Migration[] = [
  {
    version: 1,
    name: 'broker core',
    sql: `
CREATE TABLE tenants (
  id text PRIMARY KEY,
  tenant_id text NOT NULL CHECK (tenant_id = id),
  name text NOT NULL UNIQUE,
  audit_seq bigint NOT NULL DEFAULT 0,   -- last audit seq; its row lock orders appends
  created_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO tenants (id, tenant_id, name) VALUES ('system', 'system', 'system');

CREATE TABLE users (
  tenant_id text NOT NULL REFERENCES tenants(id),
  id text PRIMARY KEY,
  name text NOT NULL,
  roles text[] NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  disabled_at timestamptz,
  UNIQUE (tenant_id, name),
  -- Separation of duties (docs/broker.md): whoever writes the rules does not approve releases.
  CHECK (NOT ('admin' = ANY(roles) AND 'approver' = ANY(roles)))
);

CREATE TABLE api_tokens (
  tenant_id text NOT NULL REFERENCES tenants(id),
  id text PRIMARY KEY,
  user_id text NOT NULL REFERENCES users(id),
  token_hash text NOT NULL UNIQUE,       -- SHA-256 hex; the token itself is never stored
  expires_at timestamptz NOT NULL,
  revoked_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE broker_keys (
  tenant_id text NOT NULL REFERENCES tenants(id),
  id text PRIMARY KEY,
  name text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  destroyed_at timestamptz,
  UNIQUE (tenant_id, name)
);

CREATE TABLE key_versions (
  tenant_id text NOT NULL REFERENCES tenants(id),
  key_id text NOT NULL REFERENCES broker_keys(id),
  version integer NOT NULL,
  public_key bytea NOT NULL,
  sealed_secret bytea,                   -- AES-256-GCM under the root key; NULL once destroyed
  created_at timestamptz NOT NULL DEFAULT now(),
  retired_at timestamptz,
  PRIMARY KEY (key_id, version)
);

CREATE TABLE enrollment_tokens (
  tenant_id text NOT NULL REFERENCES tenants(id),
  id text PRIMARY KEY,
  token_hash text NOT NULL UNIQUE,
  groups text[] NOT NULL,
  uses_left integer NOT NULL CHECK (uses_left >= 0),
  expires_at timestamptz NOT NULL,
  created_by text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE devices (
  tenant_id text NOT NULL REFERENCES tenants(id),
  id text PRIMARY KEY,
  name text NOT NULL,
  public_key bytea NOT NULL UNIQUE,
  groups text[] NOT NULL,
  description jsonb NOT NULL,
  enrolled_at timestamptz NOT NULL DEFAULT now(),
  revoked_at timestamptz
);

-- Signature nonces: the primary key makes a nonce usable once across every broker process.
CREATE TABLE nonces (
  tenant_id text NOT NULL REFERENCES tenants(id),
  device_id text NOT NULL REFERENCES devices(id),
  nonce text NOT NULL,
  seen_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (device_id, nonce)
);
CREATE INDEX nonces_seen_at ON nonces (seen_at);

CREATE TABLE policies (
  tenant_id text NOT NULL REFERENCES tenants(id),
  name text NOT NULL,
  document jsonb NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, name)
);

CREATE TABLE issuers (
  tenant_id text NOT NULL REFERENCES tenants(id),
  name text NOT NULL,
  document jsonb NOT NULL,               -- {issuer, audience?, jwks}
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, name)
);

CREATE TABLE release_requests (
  tenant_id text NOT NULL REFERENCES tenants(id),
  id text PRIMARY KEY,
  device_id text NOT NULL REFERENCES devices(id),
  key_id text NOT NULL,
  version integer NOT NULL,
  kind text NOT NULL CHECK (kind IN ('envelope', 'luks2')),
  resource text NOT NULL,
  sealed_enc bytea NOT NULL,
  sealed_ciphertext bytea NOT NULL,
  reply_public_key bytea NOT NULL,
  claims jsonb NOT NULL,
  status text NOT NULL CHECK (status IN ('pending', 'approved', 'released', 'denied', 'expired')),
  policy text,
  approvers_needed integer NOT NULL DEFAULT 0,
  trace jsonb NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz,
  decided_at timestamptz
);
CREATE INDEX release_requests_status ON release_requests (tenant_id, status);

CREATE TABLE approvals (
  tenant_id text NOT NULL REFERENCES tenants(id),
  request_id text NOT NULL REFERENCES release_requests(id),
  user_id text NOT NULL REFERENCES users(id),
  decision text NOT NULL CHECK (decision IN ('approve', 'deny')),
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (request_id, user_id)      -- one vote per person: N approvals are N people
);

-- One log per tenant, seq 1, 2, 3, ... without gaps (the tenant row lock orders appends).
CREATE TABLE audit_log (
  tenant_id text NOT NULL REFERENCES tenants(id),
  seq bigint NOT NULL,
  time timestamptz NOT NULL,
  actor text NOT NULL,
  action text NOT NULL,
  target text,
  outcome text NOT NULL,
  reasons jsonb,
  request_id text,
  source_ip text,
  PRIMARY KEY (tenant_id, seq)
);
`,
  },
  {
    version: 2,
    name: 'two-admin actions',
    sql: `
-- Actions one admin asks for and a second, different admin confirms (docs/broker.md: destroying
-- a key takes two distinct admins).
CREATE TABLE pending_actions (
  tenant_id text NOT NULL REFERENCES tenants(id),
  id text PRIMARY KEY,
  kind text NOT NULL CHECK (kind IN ('key.destroy')),
  target text NOT NULL,
  requested_by text NOT NULL REFERENCES users(id),
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL,
  confirmed_by text REFERENCES users(id),
  confirmed_at timestamptz,
  CHECK (confirmed_by IS NULL OR confirmed_by <> requested_by)
);
`,
  },
  {
    version: 3,
    name: 'merkle audit',
    sql: `
-- The audit log as an RFC 9162 Merkle tree (docs/audit.md). Seq is the leaf index,
-- from 0 (src/audit/record.ts); tenants.audit_seq becomes the count of records appended.
-- Two steps: a unique index is checked row by row, so seq - 1 in one step could collide.
UPDATE audit_log SET seq = -seq;
UPDATE audit_log SET seq = -seq - 1;
ALTER TABLE audit_log ADD COLUMN record_json text;   -- the exact RFC 8785 bytes that were hashed
ALTER TABLE audit_log ADD COLUMN leaf_hash bytea;

-- Every perfect subtree's root, (level, idx) covering leaves [idx * 2^level, (idx + 1) * 2^level).
-- Level 0 holds the leaf hashes. Kept when records are archived, so proofs cost O(log n) reads
-- and still verify after pruning.
CREATE TABLE audit_nodes (
  tenant_id text NOT NULL REFERENCES tenants(id),
  level integer NOT NULL,
  idx bigint NOT NULL,
  hash bytea NOT NULL,
  PRIMARY KEY (tenant_id, level, idx)
);

-- The tenant's Ed25519 log key; the seed sealed under the root key like broker keys.
CREATE TABLE audit_log_keys (
  tenant_id text PRIMARY KEY REFERENCES tenants(id),
  public_key bytea NOT NULL,
  sealed_secret bytea NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);

-- Signed checkpoints (C2SP tlog-checkpoint), one per tree size signed.
CREATE TABLE audit_checkpoints (
  tenant_id text NOT NULL REFERENCES tenants(id),
  size bigint NOT NULL,
  note text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, size)
);

-- Lowering a policy's approvers takes two admins too.
ALTER TABLE pending_actions DROP CONSTRAINT pending_actions_kind_check;
ALTER TABLE pending_actions ADD CONSTRAINT pending_actions_kind_check CHECK (kind IN ('key.destroy', 'policy.update'));
ALTER TABLE pending_actions ADD COLUMN payload jsonb;
`,
  },
  {
    version: 4,
    name: 'release path functions',
    sql: `
-- The release path's statements as functions: PL/pgSQL plans each statement once per
-- session, where a statement sent as text is planned every time (in PGlite that planning
-- cost more than running them). Same SQL as before, same results.

-- Admission (the nonce, accepted once; the device's revocation) and what a release reads:
-- the key version asked for, its key's state, the tenant's policies.
CREATE FUNCTION sc_admit_release(p_tenant text, p_device text, p_nonce text, p_key text, p_version integer)
RETURNS TABLE (fresh integer, revoked_at timestamptz, tenant_id text, key_id text, version integer, public_key bytea,
               sealed_secret bytea, retired_at timestamptz, destroyed_at timestamptz, policies json)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
BEGIN
  RETURN QUERY
  WITH n AS (INSERT INTO nonces (tenant_id, device_id, nonce) VALUES (p_tenant, p_device, p_nonce) ON CONFLICT DO NOTHING RETURNING 1)
  SELECT (SELECT count(*) FROM n)::integer, (SELECT d.revoked_at FROM devices d WHERE d.id = p_device),
         v.tenant_id, v.key_id, v.version, v.public_key, v.sealed_secret, v.retired_at, k.destroyed_at,
         (SELECT coalesce(json_agg(p.document ORDER BY p.name), '[]'::json) FROM policies p WHERE p.tenant_id = p_tenant)
    FROM (SELECT 1) AS one
    LEFT JOIN key_versions v ON v.tenant_id = p_tenant AND v.key_id = p_key AND v.version = p_version
    LEFT JOIN broker_keys k ON k.id = v.key_id;
END $$;

-- Takes p_count audit seqs (locking the tenant row until commit) and reads the tree's
-- frontier at the first of them: the subtree roots at the set bits of its size.
CREATE FUNCTION sc_audit_take(p_tenant text, p_count bigint)
RETURNS TABLE (first bigint, at timestamptz, frontier json)
LANGUAGE plpgsql AS $$
DECLARE s bigint;
BEGIN
  UPDATE tenants t SET audit_seq = t.audit_seq + p_count WHERE t.id = p_tenant RETURNING t.audit_seq - p_count INTO s;
  IF NOT FOUND THEN RETURN; END IF;
  RETURN QUERY SELECT s, clock_timestamp(),
    (SELECT coalesce(json_agg(json_build_object('level', n.level, 'idx', n.idx, 'hash', encode(n.hash, 'hex'))), '[]'::json)
       FROM generate_series(0, 62) AS l(lvl)
       JOIN audit_nodes n ON n.tenant_id = p_tenant AND n.level = l.lvl AND n.idx = (s >> l.lvl) - 1
      WHERE (s >> l.lvl) & 1 = 1);
END $$;

-- Inserts audit records and the tree nodes they add, and release requests decided with them.
CREATE FUNCTION sc_audit_insert(p_tenant text, p_records jsonb, p_levels integer[], p_idxs bigint[], p_hashes bytea[], p_requests jsonb)
RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  IF p_requests IS NOT NULL THEN
    INSERT INTO release_requests (tenant_id, id, device_id, key_id, version, kind, resource, sealed_enc, sealed_ciphertext,
                                  reply_public_key, claims, status, policy, approvers_needed, trace, created_at, expires_at, decided_at)
    SELECT r.tenant_id, r.id, r.device_id, r.key_id, r.version, r.kind, r.resource, r.sealed_enc, r.sealed_ciphertext,
           r.reply_public_key, r.claims, r.status, r.policy, r.approvers_needed, r.trace, r.created_at, r.expires_at, r.decided_at
      FROM jsonb_populate_recordset(NULL::release_requests, p_requests) r;
  END IF;
  INSERT INTO audit_log (tenant_id, seq, time, actor, action, target, outcome, reasons, request_id, source_ip, record_json, leaf_hash)
  SELECT r.tenant_id, r.seq, r.time, r.actor, r.action, r.target, r.outcome, r.reasons, r.request_id, r.source_ip, r.record_json, r.leaf_hash
    FROM jsonb_populate_recordset(NULL::audit_log, p_records) r;
  INSERT INTO audit_nodes (tenant_id, level, idx, hash) SELECT p_tenant, * FROM unnest(p_levels, p_idxs, p_hashes);
END $$;
`,
  },
  {
    version: 5,
    name: 'console sessions',
    sql: `
-- The web console's sign-in (src/broker/auth/console-session.ts): an API token exchanged for a
-- short session cookie. Only the cookie's SHA-256 is kept; the session dies with its token.
CREATE TABLE console_sessions (
  tenant_id text NOT NULL REFERENCES tenants(id),
  session_hash text PRIMARY KEY,
  token_id text NOT NULL REFERENCES api_tokens(id),
  user_id text NOT NULL REFERENCES users(id),
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL,
  revoked_at timestamptz
);
CREATE INDEX console_sessions_expiry ON console_sessions (expires_at);
`,
  },
  {
    version: 6,
    name: 'batched release admission',
    sql: `
-- Admits a batch of release requests (src/broker/release/admissions.ts): sc_admit_release
-- for each item of p_items ([{i, t: tenant, d: device, n: nonce, k: key, v: version}]), in
-- order, each row tagged with its item's i.
CREATE FUNCTION sc_admit_releases(p_items jsonb)
RETURNS TABLE (i integer, fresh integer, revoked_at timestamptz, tenant_id text, key_id text, version integer, public_key bytea,
               sealed_secret bytea, retired_at timestamptz, destroyed_at timestamptz, policies json)
LANGUAGE plpgsql AS $$
DECLARE it record;
BEGIN
  FOR it IN SELECT * FROM jsonb_to_recordset(p_items) AS x(i integer, t text, d text, n text, k text, v integer) LOOP
    RETURN QUERY SELECT it.i, a.* FROM sc_admit_release(it.t, it.d, it.n, it.k, it.v) AS a;
  END LOOP;
END $$;
`,
  },
  {
    version: 7,
    name: 'separation of duties',
    sql: `
-- A new user's first credential is an invitation the user redeems for their own token
-- (src/broker/accounts/routes-invitations.ts); only the code's SHA-256 is kept, and it works once.
CREATE TABLE invitations (
  tenant_id text NOT NULL REFERENCES tenants(id),
  id text PRIMARY KEY,
  user_id text NOT NULL REFERENCES users(id),
  code_hash text NOT NULL UNIQUE,
  token_seconds integer NOT NULL,        -- the life of the token it is redeemed for
  created_by text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL,
  redeemed_at timestamptz,
  redeemed_from text,
  revoked_at timestamptz
);
CREATE INDEX invitations_user ON invitations (user_id);
CREATE INDEX api_tokens_user ON api_tokens (user_id);

-- Every change that weakens a key's release rules, and every grant of admin or approver,
-- waits for a second admin once the tenant has two (src/broker/separation/service.ts).
ALTER TABLE pending_actions DROP CONSTRAINT pending_actions_kind_check;
ALTER TABLE pending_actions ADD CONSTRAINT pending_actions_kind_check
  CHECK (kind IN ('key.destroy', 'policy.update', 'policy.delete', 'user.roles', 'user.disable', 'user.invite'));
ALTER TABLE pending_actions ADD COLUMN cancelled_at timestamptz;
ALTER TABLE pending_actions ADD COLUMN reason text;

-- vouched: the user's admin or approver roles were granted by the operator or confirmed by a
-- second vouched admin, not by one admin alone. Only vouched admins count as the second
-- person and confirm actions. Before this migration only the operator's first admin was.
ALTER TABLE users ADD COLUMN vouched boolean NOT NULL DEFAULT false;
UPDATE users u SET vouched = true
 WHERE 'admin' = ANY(u.roles)
   AND u.id = (SELECT f.id FROM users f WHERE f.tenant_id = u.tenant_id ORDER BY f.created_at, f.id LIMIT 1);
`,
  },
  {
    version: 8,
    name: 'operator lists',
    sql: `
-- An approver's comment stays with the vote, for the request's history (release/routes-approval.ts).
ALTER TABLE approvals ADD COLUMN comment text;
-- An enrollment token an admin revoked before it was used up (devices/routes-tokens.ts).
ALTER TABLE enrollment_tokens ADD COLUMN revoked_at timestamptz;
-- Trusting an attestation issuer waits for a second admin too (policy/routes.ts).
ALTER TABLE pending_actions DROP CONSTRAINT pending_actions_kind_check;
ALTER TABLE pending_actions ADD CONSTRAINT pending_actions_kind_check
  CHECK (kind IN ('key.destroy', 'policy.update', 'policy.delete', 'issuer.update', 'user.roles', 'user.disable', 'user.invite'));
`,
  },
  {
    version: 9,
    name: 'device keys unique per tenant',
    sql: `
-- A device public key is unique within its tenant, not across tenants: enrolling a key that
-- another tenant holds answered 409, telling the caller the key is enrolled elsewhere.
-- Signatures name their device by id (keyid, src/broker/auth/agent-signature.ts) and nothing looks a
-- device up by its key, so one key in two tenants is two devices, never an ambiguity.
ALTER TABLE devices DROP CONSTRAINT devices_public_key_key;
ALTER TABLE devices ADD CONSTRAINT devices_tenant_public_key UNIQUE (tenant_id, public_key);
`,
  },
  {
    version: 10,
    name: 'root key id',
    sql: `
-- The id of the root key the secrets are sealed under (src/broker/root-key/seal.ts rootKeyId: a
-- hash, never the key). A broker whose root.key has another id refuses to start; rotation
-- (src/broker/root-key/rotate.ts) changes it in the transaction that re-seals every secret.
-- Written by the first broker that opens the database (src/broker/root-key/check.ts).
CREATE TABLE root_key (
  id integer PRIMARY KEY CHECK (id = 1),
  key_id bytea NOT NULL,
  rotated_at timestamptz
);

-- A secret sealed under another root key than the current one is refused (a broker that
-- still holds the key a rotation replaced). FOR SHARE: a rotation, which locks the row for
-- update, waits for writers in flight and they wait for it.
CREATE FUNCTION sc_sealed_under_root_key() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  current_id bytea;
BEGIN
  IF NEW.sealed_secret IS NULL THEN
    RETURN NEW;
  END IF;
  SELECT key_id INTO current_id FROM root_key WHERE id = 1 FOR SHARE;
  IF current_id IS NOT NULL AND (get_byte(NEW.sealed_secret, 0) <> 1 OR substring(NEW.sealed_secret FROM 2 FOR 16) <> current_id) THEN
    RAISE EXCEPTION 'a secret sealed under a root key that is not the current one' USING ERRCODE = 'SCRK0';
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER key_versions_root_key BEFORE INSERT OR UPDATE OF sealed_secret ON key_versions
  FOR EACH ROW EXECUTE FUNCTION sc_sealed_under_root_key();
CREATE TRIGGER audit_log_keys_root_key BEFORE INSERT OR UPDATE OF sealed_secret ON audit_log_keys
  FOR EACH ROW EXECUTE FUNCTION sc_sealed_under_root_key();
`,
  },
  {
    version: 11,
    name: 'sign-in through OpenID providers',
    sql: `
-- Each tenant may sign its people in through its own OpenID provider (src/broker/oidc/). The
-- client secret is sealed under the root key in its own table, so that a change waiting for a
-- second admin names a sealed secret by id and never carries the secret (oidc/service.ts).
CREATE TABLE oidc_client_secrets (
  tenant_id text NOT NULL REFERENCES tenants(id),
  id text PRIMARY KEY,
  sealed_secret bytea NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE TRIGGER oidc_client_secrets_root_key BEFORE INSERT OR UPDATE OF sealed_secret ON oidc_client_secrets
  FOR EACH ROW EXECUTE FUNCTION sc_sealed_under_root_key();

CREATE TABLE oidc_providers (
  tenant_id text PRIMARY KEY REFERENCES tenants(id),
  secret_id text NOT NULL REFERENCES oidc_client_secrets(id),
  settings jsonb NOT NULL,               -- issuer, client id, redirect URI, domains, groups claim, role mapping
  updated_by text NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- A sign-in under way: the browser's state (code flow with PKCE) or the CLI's handle (device
-- grant), by SHA-256; each is used once and lives minutes.
CREATE TABLE oidc_logins (
  tenant_id text NOT NULL REFERENCES tenants(id),
  handle_hash text PRIMARY KEY,
  kind text NOT NULL CHECK (kind IN ('browser', 'device')),
  binding_hash text,                     -- the browser's binding cookie (login CSRF)
  nonce text,
  code_verifier text,
  device_code text,
  interval_seconds integer,
  next_poll_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL,
  used_at timestamptz
);
CREATE INDEX oidc_logins_expiry ON oidc_logins (expires_at);

-- A session made by a provider's sign-in has no API token: its roles come from the provider's
-- groups at sign-in, and it keeps how the person signed in (for approvals with assurance).
ALTER TABLE console_sessions ALTER COLUMN token_id DROP NOT NULL;
ALTER TABLE console_sessions ADD COLUMN roles text[];
ALTER TABLE console_sessions ADD COLUMN provider text;
ALTER TABLE console_sessions ADD COLUMN subject text;
ALTER TABLE console_sessions ADD COLUMN amr text[];
ALTER TABLE console_sessions ADD COLUMN acr text;
ALTER TABLE console_sessions ADD COLUMN auth_time timestamptz;
ALTER TABLE console_sessions ADD CONSTRAINT console_sessions_token_or_provider
  CHECK ((token_id IS NULL) = (provider IS NOT NULL AND roles IS NOT NULL));

-- A person known through the provider: issuer and subject (OpenID Connect Core 1.0 section 2,
-- "sub" is unique only within its issuer).
ALTER TABLE users ADD COLUMN oidc_issuer text;
ALTER TABLE users ADD COLUMN oidc_subject text;
CREATE UNIQUE INDEX users_oidc_subject ON users (tenant_id, oidc_issuer, oidc_subject) WHERE oidc_subject IS NOT NULL;

ALTER TABLE pending_actions DROP CONSTRAINT pending_actions_kind_check;
ALTER TABLE pending_actions ADD CONSTRAINT pending_actions_kind_check
  CHECK (kind IN ('key.destroy', 'policy.update', 'policy.delete', 'issuer.update', 'oidc.update', 'user.roles', 'user.disable', 'user.invite'));
`,
  },
  {
    version: 12,
    name: 'tpm attestation',
    sql: `
-- A device enrolled with a TPM 2.0 (src/broker/devices/tpm.ts): the SHA-256 of its EK's
-- TPM2B_PUBLIC (one TPM is one live device per tenant), its attestation key's TPM2B_PUBLIC,
-- and when credential activation proved that AK is in the TPM of that EK (TPM 2.0 Part 1
-- §24). Until then the device releases nothing; afterwards, only with a quote from that AK.
ALTER TABLE devices ADD COLUMN tpm_ek_hash bytea;
ALTER TABLE devices ADD COLUMN tpm_ak_public bytea;
ALTER TABLE devices ADD COLUMN tpm_activated_at timestamptz;
-- The last verified quote's resetCount (a lower one is an old quote) and its claims (what
-- "sectorcrypt broker policy learn" reads).
ALTER TABLE devices ADD COLUMN tpm_reset_count bigint;
ALTER TABLE devices ADD COLUMN tpm_claims jsonb;
ALTER TABLE devices ADD COLUMN tpm_verified_at timestamptz;
-- Only an activated device holds its TPM: an enrollment that never proves the credential (made
-- with a copy of another machine's public EK certificate) cannot keep that machine out.
CREATE UNIQUE INDEX devices_tenant_tpm_ek ON devices (tenant_id, tpm_ek_hash)
  WHERE tpm_ek_hash IS NOT NULL AND tpm_activated_at IS NOT NULL AND revoked_at IS NULL;

-- One-time challenges (src/broker/devices/tpm.ts): an activation (the SHA-256 of the
-- credential's secret) or a quote's nonce. Spent by one UPDATE ... WHERE spent_at IS NULL,
-- also when what it was spent on then fails; short-lived.
CREATE TABLE tpm_challenges (
  tenant_id text NOT NULL REFERENCES tenants(id),
  id text PRIMARY KEY,
  device_id text NOT NULL REFERENCES devices(id),
  purpose text NOT NULL CHECK (purpose IN ('activate', 'quote')),
  value bytea NOT NULL,
  pcrs integer[] NOT NULL DEFAULT '{}',
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL,
  spent_at timestamptz
);
CREATE INDEX tpm_challenges_expiry ON tpm_challenges (expires_at);
`,
  },
  {
    version: 13,
    name: 'xks keystores',
    sql: `
-- The broker as an AWS KMS external key store proxy (src/broker/xks/, docs/xks.md).
-- Broker keys get a type: x25519 (the release path's HPKE keys, as before) or aes256 (XKS
-- keys: one version whose sealed_secret is the AES key, public_key empty), the usage KMS is
-- told of (a subset of ENCRYPT, DECRYPT), and a disabled flag (the kill switch).
ALTER TABLE broker_keys ADD COLUMN key_type text NOT NULL DEFAULT 'x25519' CHECK (key_type IN ('x25519', 'aes256'));
ALTER TABLE broker_keys ADD COLUMN usage text[];
ALTER TABLE broker_keys ADD COLUMN disabled_at timestamptz;
ALTER TABLE broker_keys ADD CONSTRAINT broker_keys_usage
  CHECK ((key_type = 'aes256') = (usage IS NOT NULL) AND (usage IS NULL OR usage <@ ARRAY['ENCRYPT', 'DECRYPT']::text[]));

-- A keystore: the URI path KMS calls (/xks/<uri_path_id>/kms/xks/v1) and its SigV4 credentials.
CREATE TABLE xks_keystores (
  tenant_id text NOT NULL REFERENCES tenants(id),
  id text PRIMARY KEY,
  name text NOT NULL,
  uri_path_id text NOT NULL UNIQUE,
  created_at timestamptz NOT NULL DEFAULT now(),
  disabled_at timestamptz,
  UNIQUE (tenant_id, name)
);

-- The secret access key sealed under the root key like broker keys (seal.ts, AAD
-- <tenant>/<credential id>/1); several live at once during a rotation, until retired.
CREATE TABLE xks_credentials (
  tenant_id text NOT NULL REFERENCES tenants(id),
  id text PRIMARY KEY,
  keystore_id text NOT NULL REFERENCES xks_keystores(id),
  access_key_id text NOT NULL UNIQUE,
  sealed_secret bytea NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  retired_at timestamptz
);
CREATE INDEX xks_credentials_keystore ON xks_credentials (keystore_id);
CREATE TRIGGER xks_credentials_root_key BEFORE INSERT OR UPDATE OF sealed_secret ON xks_credentials
  FOR EACH ROW EXECUTE FUNCTION sc_sealed_under_root_key();

-- What one XKS call reads (src/broker/xks/lookups.ts), as functions for the plans' sake (as
-- migration 4): the keystore by its URI path, the live credential the signature names, the
-- key the path names (an aes256 key has one version), the tenant's policies when asked for.
CREATE FUNCTION sc_xks_lookup(p_path text, p_access text, p_key text, p_policies boolean)
RETURNS TABLE (tenant_id text, keystore_id text, keystore_disabled_at timestamptz, credential_id text, credential_secret bytea,
               key_id text, key_type text, usage text[], key_disabled_at timestamptz, key_destroyed_at timestamptz,
               key_secret bytea, policies json)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
BEGIN
  RETURN QUERY
  SELECT s.tenant_id, s.id, s.disabled_at, c.id, c.sealed_secret, k.id, k.key_type, k.usage, k.disabled_at, k.destroyed_at,
         v.sealed_secret,
         CASE WHEN p_policies THEN (SELECT coalesce(json_agg(p.document ORDER BY p.name), '[]'::json)
                                      FROM policies p WHERE p.tenant_id = s.tenant_id) END
    FROM xks_keystores s
    LEFT JOIN xks_credentials c ON c.keystore_id = s.id AND c.access_key_id = p_access AND c.retired_at IS NULL
    LEFT JOIN broker_keys k ON k.tenant_id = s.tenant_id AND k.id = p_key
    LEFT JOIN key_versions v ON v.key_id = k.id AND v.version = 1
   WHERE s.uri_path_id = p_path;
END $$;

-- The calls that arrived together, in one statement: p_items is [{i, p, a, k, w}].
CREATE FUNCTION sc_xks_lookups(p_items jsonb)
RETURNS TABLE (i integer, tenant_id text, keystore_id text, keystore_disabled_at timestamptz, credential_id text,
               credential_secret bytea, key_id text, key_type text, usage text[], key_disabled_at timestamptz,
               key_destroyed_at timestamptz, key_secret bytea, policies json)
LANGUAGE plpgsql AS $$
DECLARE it record;
BEGIN
  FOR it IN SELECT * FROM jsonb_to_recordset(p_items) AS x(i integer, p text, a text, k text, w boolean) LOOP
    RETURN QUERY SELECT it.i, l.* FROM sc_xks_lookup(it.p, it.a, it.k, it.w) AS l;
  END LOOP;
END $$;
`,
  },
  {
    version: 14,
    name: 'xks mutual tls',
    sql: `
-- Optional mutual TLS per keystore (xks_proxy_api_spec.md "Authentication"; src/broker/xks/mtls.ts):
-- the client certificate's subject CN and the CA certificates (PEM) its chain must end at.
ALTER TABLE xks_keystores ADD COLUMN mtls_subject_cn text;
ALTER TABLE xks_keystores ADD COLUMN mtls_ca_pem text;
ALTER TABLE xks_keystores ADD CONSTRAINT xks_keystores_mtls CHECK ((mtls_subject_cn IS NULL) = (mtls_ca_pem IS NULL));

-- The lookups of migration 13 with the keystore's mTLS settings (NULL when it has none).
DROP FUNCTION sc_xks_lookups(jsonb);
DROP FUNCTION sc_xks_lookup(text, text, text, boolean);
CREATE FUNCTION sc_xks_lookup(p_path text, p_access text, p_key text, p_policies boolean)
RETURNS TABLE (tenant_id text, keystore_id text, keystore_disabled_at timestamptz, credential_id text, credential_secret bytea,
               key_id text, key_type text, usage text[], key_disabled_at timestamptz, key_destroyed_at timestamptz,
               key_secret bytea, policies json, mtls_subject_cn text, mtls_ca_pem text)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
BEGIN
  RETURN QUERY
  SELECT s.tenant_id, s.id, s.disabled_at, c.id, c.sealed_secret, k.id, k.key_type, k.usage, k.disabled_at, k.destroyed_at,
         v.sealed_secret,
         CASE WHEN p_policies THEN (SELECT coalesce(json_agg(p.document ORDER BY p.name), '[]'::json)
                                      FROM policies p WHERE p.tenant_id = s.tenant_id) END,
         s.mtls_subject_cn, s.mtls_ca_pem
    FROM xks_keystores s
    LEFT JOIN xks_credentials c ON c.keystore_id = s.id AND c.access_key_id = p_access AND c.retired_at IS NULL
    LEFT JOIN broker_keys k ON k.tenant_id = s.tenant_id AND k.id = p_key
    LEFT JOIN key_versions v ON v.key_id = k.id AND v.version = 1
   WHERE s.uri_path_id = p_path;
END $$;

CREATE FUNCTION sc_xks_lookups(p_items jsonb)
RETURNS TABLE (i integer, tenant_id text, keystore_id text, keystore_disabled_at timestamptz, credential_id text,
               credential_secret bytea, key_id text, key_type text, usage text[], key_disabled_at timestamptz,
               key_destroyed_at timestamptz, key_secret bytea, policies json, mtls_subject_cn text, mtls_ca_pem text)
LANGUAGE plpgsql AS $$
DECLARE it record;
BEGIN
  FOR it IN SELECT * FROM jsonb_to_recordset(p_items) AS x(i integer, p text, a text, k text, w boolean) LOOP
    RETURN QUERY SELECT it.i, l.* FROM sc_xks_lookup(it.p, it.a, it.k, it.w) AS l;
  END LOOP;
END $$;
`,
  },
];
