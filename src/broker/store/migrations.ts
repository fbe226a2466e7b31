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
  -- Separation of duties (CUSTODY.md): whoever writes the rules does not approve releases.
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
-- Actions one admin asks for and a second, different admin confirms (CUSTODY.md: destroying
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
-- The audit log as an RFC 9162 Merkle tree (CUSTODY.md "Audit log"). Seq is the leaf index,
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
];
