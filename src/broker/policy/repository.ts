/**
 * Writes of release policies and trusted issuers, with their audit records: the policy routes call them at once,
 * or the action routes once a second admin confirmed (separation/service.ts).
 */
import type { Sql } from '../store/types.js';
import { appendAudit } from '../audit/log.js';
import { iso } from '../http/schemas.js';
import { fail } from '../http/errors.js';
import type { Policy } from './types.js';

/** The stored policy, locked until the transaction ends. */
export async function lockPolicy(q: Sql, tenantId: string, name: string): Promise<Policy | undefined> {
  const rows = await q.query<{ document: Policy }>('SELECT document FROM policies WHERE tenant_id = $1 AND name = $2 FOR UPDATE', [tenantId, name]);
  return rows[0]?.document;
}

/** Writes a policy and its record; `actionId` when a second admin confirmed it. */
export async function savePolicy(q: Sql, tenantId: string, actor: string, policy: Policy, sourceIp: string, actionId: string | null) {
  const rows = await q.query<{ updated_at: string }>(
    `INSERT INTO policies (tenant_id, name, document) VALUES ($1, $2, $3)
     ON CONFLICT (tenant_id, name) DO UPDATE SET document = EXCLUDED.document, updated_at = now() RETURNING updated_at`,
    [tenantId, policy.name, JSON.stringify(policy)],
  );
  const reasons = actionId ? { actionId, policy } : policy;
  await appendAudit(q, tenantId, { actor, action: 'policy.update', target: policy.name, outcome: 'success', reasons, sourceIp });
  return { name: policy.name, policy, updatedAt: iso(rows[0]!.updated_at) };
}

/** Deletes a policy and records it; `actionId` when a second admin confirmed it. */
export async function deletePolicy(q: Sql, tenantId: string, actor: string, name: string, sourceIp: string, actionId: string | null) {
  const rows = await q.query('DELETE FROM policies WHERE tenant_id = $1 AND name = $2 RETURNING name', [tenantId, name]);
  if (!rows.length) fail('ERR_NOT_FOUND', 'no such policy');
  await appendAudit(q, tenantId, { actor, action: 'policy.delete', target: name, outcome: 'success', ...(actionId ? { reasons: { actionId } } : {}), sourceIp });
  return { name, deleted: true };
}

/** A trusted issuer as POST /v1/issuers takes it (routes.ts checks it). */
export interface IssuerDocument {
  name: string;
  kind?: 'jwt' | 'aws' | 'azure';
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
export async function saveIssuer(q: Sql, tenantId: string, actor: string, doc: IssuerDocument, sourceIp: string, actionId: string | null): Promise<void> {
  await q.query(
    `INSERT INTO issuers (tenant_id, name, document) VALUES ($1, $2, $3)
     ON CONFLICT (tenant_id, name) DO UPDATE SET document = EXCLUDED.document`,
    [tenantId, doc.name, JSON.stringify(doc)],
  );
  const fetched = doc.jwksUri !== undefined ? { jwksUri: doc.jwksUri, allowPrivateNetwork: doc.allowPrivateNetwork === true } : {};
  const what = doc.kind === 'aws' || doc.kind === 'azure' ? { kind: doc.kind, certificates: doc.certificates!.length } : { issuer: doc.issuer, ...fetched };
  await appendAudit(q, tenantId, { actor, action: 'issuer.update', target: doc.name, outcome: 'success', reasons: actionId ? { ...what, actionId } : what, sourceIp });
}
