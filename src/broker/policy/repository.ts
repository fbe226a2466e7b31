/**
 * The policies and issuers tables: every statement on them is here, by name. Writes of
 * release policies and trusted issuers come with their audit records: the policy routes call
 * them at once, or the action routes once a second admin confirmed (separation/service.ts).
 */
import type { Sql } from '../store/types.js';
import { appendAudit } from '../audit/log.js';
import { iso } from '../http/schemas.js';
import { fail } from '../http/errors.js';
import type { Policy } from './types.js';

const LIST_POLICIES = 'SELECT name, document, updated_at FROM policies WHERE tenant_id = $1 ORDER BY name';
const POLICY_DOCUMENTS = 'SELECT document FROM policies WHERE tenant_id = $1 ORDER BY name';
const GET_POLICY = 'SELECT document, updated_at FROM policies WHERE tenant_id = $1 AND name = $2';
const LOCK_POLICY = 'SELECT document FROM policies WHERE tenant_id = $1 AND name = $2 FOR UPDATE';
const UPSERT_POLICY = `INSERT INTO policies (tenant_id, name, document) VALUES ($1, $2, $3)
     ON CONFLICT (tenant_id, name) DO UPDATE SET document = EXCLUDED.document, updated_at = now() RETURNING updated_at`;
const DELETE_POLICY = 'DELETE FROM policies WHERE tenant_id = $1 AND name = $2 RETURNING name';
const LIST_ISSUERS = 'SELECT name, document, created_at FROM issuers WHERE tenant_id = $1 ORDER BY name';
const ISSUER_DOCUMENTS = 'SELECT name, document FROM issuers WHERE tenant_id = $1';
const UPSERT_ISSUER = `INSERT INTO issuers (tenant_id, name, document) VALUES ($1, $2, $3)
     ON CONFLICT (tenant_id, name) DO UPDATE SET document = EXCLUDED.document`;

export async function listPolicies(q: Sql, tenantId: string): Promise<{ name: string; document: unknown; updated_at: string }[]> {
  return q.query(LIST_POLICIES, [tenantId]);
}

/** The tenant's policy documents, by name (the release path filters the binding ones). */
export async function policyDocuments(q: Sql, tenantId: string): Promise<Policy[]> {
  return (await q.query<{ document: Policy }>(POLICY_DOCUMENTS, [tenantId])).map((r) => r.document);
}

export async function getPolicy(q: Sql, tenantId: string, name: string): Promise<{ document: unknown; updated_at: string } | undefined> {
  return (await q.query<{ document: unknown; updated_at: string }>(GET_POLICY, [tenantId, name]))[0];
}

export async function listIssuers(q: Sql, tenantId: string): Promise<{ name: string; document: IssuerDocument; created_at: string }[]> {
  return q.query(LIST_ISSUERS, [tenantId]);
}

/** Every trusted issuer's document (the release path sorts JWT issuers from document signers). */
export async function issuerDocuments(q: Sql, tenantId: string): Promise<{ name: string; document: IssuerDocument }[]> {
  return q.query(ISSUER_DOCUMENTS, [tenantId]);
}

/** The stored policy, locked until the transaction ends. */
export async function lockPolicy(q: Sql, tenantId: string, name: string): Promise<Policy | undefined> {
  const rows = await q.query<{ document: Policy }>(LOCK_POLICY, [tenantId, name]);
  return rows[0]?.document;
}

/** Writes a policy and its record; `actionId` when a second admin confirmed it. */
export async function savePolicy(q: Sql, tenantId: string, actor: string, policy: Policy, sourceIp: string, actionId: string | null) {
  const rows = await q.query<{ updated_at: string }>(UPSERT_POLICY, [tenantId, policy.name, JSON.stringify(policy)]);
  const reasons = actionId ? { actionId, policy } : policy;
  await appendAudit(q, tenantId, { actor, action: 'policy.update', target: policy.name, outcome: 'success', reasons, sourceIp });
  return { name: policy.name, policy, updatedAt: iso(rows[0]!.updated_at) };
}

/** Deletes a policy and records it; `actionId` when a second admin confirmed it. */
export async function deletePolicy(q: Sql, tenantId: string, actor: string, name: string, sourceIp: string, actionId: string | null) {
  const rows = await q.query(DELETE_POLICY, [tenantId, name]);
  if (!rows.length) fail('ERR_NOT_FOUND', 'no such policy');
  await appendAudit(q, tenantId, {
    actor,
    action: 'policy.delete',
    target: name,
    outcome: 'success',
    ...(actionId ? { reasons: { actionId } } : {}),
    sourceIp,
  });
  return { name, deleted: true };
}

/** A trusted issuer as POST /v1/issuers takes it (routes.ts checks it). */
export interface IssuerDocument {
  name: string;
  kind?: 'jwt' | 'aws' | 'azure' | 'tpm';
  issuer?: string;
  audience?: string;
  jwks?: { keys: unknown[] };
  jwksUri?: string;
  jwksCa?: string;
  /** A jwksUri may name a loopback, private or link-local host (attest/jwks-remote.ts). */
  allowPrivateNetwork?: boolean;
  certificates?: string[];
}

/** Writes a trusted issuer and its record; `actionId` when a second admin confirmed it. */
export async function saveIssuer(
  q: Sql,
  tenantId: string,
  actor: string,
  doc: IssuerDocument,
  sourceIp: string,
  actionId: string | null,
): Promise<void> {
  await q.query(UPSERT_ISSUER, [tenantId, doc.name, JSON.stringify(doc)]);
  const fetched = doc.jwksUri !== undefined ? { jwksUri: doc.jwksUri, allowPrivateNetwork: doc.allowPrivateNetwork === true } : {};
  const what =
    doc.kind === 'aws' || doc.kind === 'azure' || doc.kind === 'tpm'
      ? { kind: doc.kind, certificates: doc.certificates!.length }
      : { issuer: doc.issuer, ...fetched };
  await appendAudit(q, tenantId, {
    actor,
    action: 'issuer.update',
    target: doc.name,
    outcome: 'success',
    reasons: actionId ? { ...what, actionId } : what,
    sourceIp,
  });
}
