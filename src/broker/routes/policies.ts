/**
 * Release policies (CUSTODY.md "Claims and policies") and the attestation issuers they may
 * trust. Policies are checked by validatePolicy on every write; the stored document is the
 * validated one. Lowering a policy's approvers waits for a second admin (202 {actionId}).
 */
import type { FastifyInstance } from 'fastify';
import type { BrokerContext } from '../context.js';
import { requireRole } from '../auth.js';
import { appendAudit } from '../store/audit.js';
import { errorSchema, fail } from '../http-errors.js';
import { name, object, iso } from '../schemas.js';
import { validatePolicy } from '../policy/index.js';
import { APPROVAL_DEFAULTS, type Policy } from '../policy/types.js';
import type { Sql } from '../store/types.js';
import { newId } from '../secrets.js';
import { ACTION_SECONDS } from './actions.js';
import { X509Certificate } from 'node:crypto';
import { checkJwksUri } from '../jwks-remote.js';

const nameParams = object({ name }, ['name']);
const policyDoc = { type: 'object', additionalProperties: true } as const;
const policyAnswer = object({ name: { type: 'string' }, policy: policyDoc, updatedAt: { type: 'string' } }, ['name', 'policy']);

const pendingAnswer = object({ actionId: { type: 'string' }, expiresAt: { type: 'string' } });

/** Distinct approvers a release under this policy needs (0 when automatic). */
export function approversOf(policy: Policy): number {
  return policy.approval?.mode === 'manual' ? (policy.approval.approvers ?? APPROVAL_DEFAULTS.approvers) : 0;
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

export function policyRoutes(app: FastifyInstance, ctx: BrokerContext): void {
  app.put(
    '/v1/policies/:name',
    { schema: { params: nameParams, body: { type: 'object', maxProperties: 16 }, response: { 200: policyAnswer, 202: pendingAnswer, '4xx': errorSchema } } },
    async (req, reply) => {
      const admin = await requireRole(ctx.db, req, 'admin');
      const { name: policyName } = req.params as { name: string };
      const body = req.body as Record<string, unknown>;
      if (body.name !== undefined && body.name !== policyName) fail('ERR_POLICY_INVALID', '/name differs from the name in the URL');
      const policy = validatePolicy({ ...body, name: policyName });
      const answer = await ctx.db.tx(async (q) => {
        const before = await q.query<{ document: Policy }>('SELECT document FROM policies WHERE tenant_id = $1 AND name = $2 FOR UPDATE', [admin.tenantId, policyName]);
        // Separation of duties: fewer approvers than now takes a second admin (actions.ts).
        if (before.length && approversOf(policy) < approversOf(before[0]!.document)) {
          const actionId = newId('act');
          const rows = await q.query<{ expires_at: string }>(
            `INSERT INTO pending_actions (tenant_id, id, kind, target, requested_by, expires_at, payload)
             VALUES ($1, $2, 'policy.update', $3, $4, now() + make_interval(secs => $5), $6) RETURNING expires_at`,
            [admin.tenantId, actionId, policyName, admin.userId, ACTION_SECONDS, JSON.stringify(policy)],
          );
          await appendAudit(q, admin.tenantId, { actor: admin.userId, action: 'policy.update.request', target: policyName, outcome: 'pending', reasons: { actionId, policy }, sourceIp: req.ip });
          return { pending: { actionId, expiresAt: iso(rows[0]!.expires_at) } };
        }
        return { done: await savePolicy(q, admin.tenantId, admin.userId, policy, req.ip, null) };
      });
      if ('pending' in answer) return reply.status(202).send(answer.pending);
      return answer.done;
    },
  );

  app.get('/v1/policies', { schema: { response: { 200: object({ policies: { type: 'array', items: policyAnswer } }), '4xx': errorSchema } } }, async (req) => {
    const who = await requireRole(ctx.db, req, 'admin', 'approver');
    const rows = await ctx.db.query<{ name: string; document: unknown; updated_at: string }>('SELECT name, document, updated_at FROM policies WHERE tenant_id = $1 ORDER BY name', [who.tenantId]);
    return { policies: rows.map((r) => ({ name: r.name, policy: r.document, updatedAt: iso(r.updated_at) })) };
  });

  app.get('/v1/policies/:name', { schema: { params: nameParams, response: { 200: policyAnswer, '4xx': errorSchema } } }, async (req) => {
    const who = await requireRole(ctx.db, req, 'admin', 'approver');
    const { name: policyName } = req.params as { name: string };
    const rows = await ctx.db.query<{ document: unknown; updated_at: string }>('SELECT document, updated_at FROM policies WHERE tenant_id = $1 AND name = $2', [who.tenantId, policyName]);
    if (!rows.length) fail('ERR_NOT_FOUND', 'no such policy');
    return { name: policyName, policy: rows[0]!.document, updatedAt: iso(rows[0]!.updated_at) };
  });

  app.delete('/v1/policies/:name', { schema: { params: nameParams, response: { 200: object({ name: { type: 'string' }, deleted: { type: 'boolean' } }), '4xx': errorSchema } } }, async (req) => {
    const admin = await requireRole(ctx.db, req, 'admin');
    const { name: policyName } = req.params as { name: string };
    return ctx.db.tx(async (q) => {
      const rows = await q.query('DELETE FROM policies WHERE tenant_id = $1 AND name = $2 RETURNING name', [admin.tenantId, policyName]);
      if (!rows.length) fail('ERR_NOT_FOUND', 'no such policy');
      await appendAudit(q, admin.tenantId, { actor: admin.userId, action: 'policy.delete', target: policyName, outcome: 'success', sourceIp: req.ip });
      return { name: policyName, deleted: true };
    });
  });

  // Trusted attestation issuers: JWT issuers with their JWKS given inline, or the certificates
  // that sign a cloud's PKCS#7 documents (kind aws or azure). The broker fetches nothing.
  const jwk = { type: 'object', required: ['kty'], properties: { kty: { type: 'string' } }, additionalProperties: true, maxProperties: 16 } as const;
  const issuerBody = object(
    {
      name,
      kind: { enum: ['jwt', 'aws', 'azure'] },
      issuer: { type: 'string', minLength: 1, maxLength: 512 },
      audience: { type: 'string', minLength: 1, maxLength: 512 },
      jwks: object({ keys: { type: 'array', minItems: 1, maxItems: 16, items: jwk } }, ['keys']),
      jwksUri: { type: 'string', minLength: 9, maxLength: 2048 },
      jwksCa: { type: 'string', minLength: 1, maxLength: 16_384 },
      allowPrivateNetwork: { type: 'boolean' },
      certificates: { type: 'array', minItems: 1, maxItems: 16, items: { type: 'string', minLength: 1, maxLength: 16_384 } },
    },
    ['name'],
  );
  app.post('/v1/issuers', { schema: { body: issuerBody, response: { 201: object({ name: { type: 'string' }, issuer: { type: 'string' }, kind: { type: 'string' } }), '4xx': errorSchema } } }, async (req, reply) => {
    const admin = await requireRole(ctx.db, req, 'admin');
    const body = req.body as { name: string; kind?: 'jwt' | 'aws' | 'azure'; issuer?: string; audience?: string; jwks?: { keys: unknown[] }; jwksUri?: string; jwksCa?: string; allowPrivateNetwork?: boolean; certificates?: string[] };
    checkIssuer(body);
    await ctx.db.tx(async (q) => {
      await q.query(
        `INSERT INTO issuers (tenant_id, name, document) VALUES ($1, $2, $3)
         ON CONFLICT (tenant_id, name) DO UPDATE SET document = EXCLUDED.document`,
        [admin.tenantId, body.name, JSON.stringify(body)],
      );
      const fetched = body.jwksUri !== undefined ? { jwksUri: body.jwksUri, allowPrivateNetwork: body.allowPrivateNetwork === true } : {};
      const what = body.kind === 'aws' || body.kind === 'azure' ? { kind: body.kind, certificates: body.certificates!.length } : { issuer: body.issuer, ...fetched };
      await appendAudit(q, admin.tenantId, { actor: admin.userId, action: 'issuer.update', target: body.name, outcome: 'success', reasons: what, sourceIp: req.ip });
    });
    return reply.status(201).send({ name: body.name, kind: body.kind ?? 'jwt', ...(body.issuer ? { issuer: body.issuer } : {}) });
  });
}

/** A JWT issuer has issuer and jwks; a document issuer (aws, azure) has certificates that parse, and nothing else. */
function checkIssuer(body: { kind?: string; issuer?: string; audience?: string; jwks?: unknown; jwksUri?: string; jwksCa?: string; allowPrivateNetwork?: boolean; certificates?: string[] }): void {
  if (body.kind === 'aws' || body.kind === 'azure') {
    if ([body.issuer, body.audience, body.jwks, body.jwksUri, body.jwksCa, body.allowPrivateNetwork].some((v) => v !== undefined)) fail('ERR_ARGUMENT', `an issuer of kind ${body.kind} has certificates, not issuer, audience or a JWKS`);
    if (!body.certificates) fail('ERR_ARGUMENT', `an issuer of kind ${body.kind} needs certificates (PEM)`);
    body.certificates.forEach((pem, i) => {
      try {
        new X509Certificate(pem);
      } catch {
        fail('ERR_ARGUMENT', `/certificates/${i} is not a PEM certificate`);
      }
    });
    return;
  }
  if (body.certificates !== undefined) fail('ERR_ARGUMENT', 'certificates go with kind aws or azure');
  if (body.issuer === undefined || (body.jwks === undefined) === (body.jwksUri === undefined)) fail('ERR_ARGUMENT', 'a JWT issuer needs issuer and one of jwks and jwksUri');
  if (body.jwksCa !== undefined && body.jwksUri === undefined) fail('ERR_ARGUMENT', 'jwksCa goes with jwksUri');
  if (body.allowPrivateNetwork !== undefined && body.jwksUri === undefined) fail('ERR_ARGUMENT', 'allowPrivateNetwork goes with jwksUri');
  if (body.jwksUri !== undefined) checkJwksUri(body.jwksUri, body.allowPrivateNetwork === true);
  if (body.jwksCa !== undefined) {
    try {
      new X509Certificate(body.jwksCa);
    } catch {
      fail('ERR_ARGUMENT', 'jwksCa is not a PEM certificate');
    }
  }
}
