/**
 * Release policies (docs/broker.md "Writing policies") and the attestation issuers they may
 * trust. Policies are checked by validatePolicy on every write; the stored document is the
 * validated one. A change that weakens a key's release (policy/weakens.ts) waits for a second
 * admin (202 {actionId}) once the tenant enforces two-person rules (separation/service.ts).
 */
import type { Endpoint } from '../http/endpoint.js';
import type { Principal } from '../auth/principal.js';
import { appendAudit } from '../audit/log.js';
import { errorSchema, fail } from '../http/errors.js';
import { name, object, iso, pendingActionSchema } from '../http/schemas.js';
import { validatePolicy } from './index.js';
import { policyChangeWeakens, policyDeletionWeakens } from './weakens.js';
import {
  deletePolicy,
  getPolicy as loadPolicy,
  listIssuers as loadIssuers,
  listPolicies as loadPolicies,
  lockPolicy,
  saveIssuer,
  savePolicy,
  type IssuerDocument,
} from './repository.js';
import { knownKeys } from '../keys/repository.js';
import { knownKeystores } from '../xks/repository.js';
import { requestAction, twoPersonEnforced } from '../separation/service.js';
import { X509Certificate } from 'node:crypto';
import { checkJwksUri } from '../attest/jwks-remote.js';
import { policyAnswer } from '../../protocol/answers.js';
import { POLICY_BODY_LIMIT } from '../../protocol/constants.js';

const nameParams = object({ name }, ['name']);

export const putPolicy: Endpoint<Principal> = {
  schema: {
    params: nameParams,
    body: { type: 'object', maxProperties: 16 },
    response: { 200: policyAnswer, 202: pendingActionSchema, '4xx': errorSchema },
  },
  // Allowlists of measured files (allIn) make policies larger than other bodies.
  bodyLimit: POLICY_BODY_LIMIT,
  async handle(ctx, req, reply, admin) {
    const { name: policyName } = req.params as { name: string };
    const body = req.body as Record<string, unknown>;
    if (body.name !== undefined && body.name !== policyName) fail('ERR_POLICY_INVALID', '/name differs from the name in the URL');
    const policy = validatePolicy({ ...body, name: policyName });
    const answer = await ctx.db.tx(async (q) => {
      // A key id that is not this tenant's is a typo (or another tenant's id): say so.
      const known = await knownKeys(q, admin.tenantId, policy.keys);
      const missing = policy.keys.findIndex((k) => !known.includes(k));
      if (missing >= 0)
        fail(
          'ERR_POLICY_INVALID',
          `/keys/${missing}: no key ${policy.keys[missing]} in this tenant (sectorcrypt broker key list shows them)`,
        );
      if (policy.xks) {
        const stores = await knownKeystores(q, admin.tenantId, policy.xks.keystores);
        const absent = policy.xks.keystores.findIndex((k) => !stores.includes(k));
        if (absent >= 0)
          fail(
            'ERR_POLICY_INVALID',
            `/xks/keystores/${absent}: no keystore ${policy.xks.keystores[absent]} in this tenant (sectorcrypt broker xks keystore list shows them)`,
          );
      }
      const before = await lockPolicy(q, admin.tenantId, policyName);
      const weakens = policyChangeWeakens(before, policy);
      if (weakens && (await twoPersonEnforced(q, admin.tenantId))) {
        return {
          pending: await requestAction(q, admin, { kind: 'policy.update', target: policyName, payload: policy, reason: weakens }, req.ip),
        };
      }
      return { done: await savePolicy(q, admin.tenantId, admin.userId, policy, req.ip, null) };
    });
    if ('pending' in answer) return reply.status(202).send(answer.pending);
    return answer.done;
  },
};

export const listPolicies: Endpoint<Principal> = {
  schema: { response: { 200: object({ policies: { type: 'array', items: policyAnswer } }), '4xx': errorSchema } },
  async handle(ctx, _req, _reply, who) {
    const rows = await loadPolicies(ctx.db, who.tenantId);
    return { policies: rows.map((r) => ({ name: r.name, policy: r.document, updatedAt: iso(r.updated_at) })) };
  },
};

export const getPolicy: Endpoint<Principal> = {
  schema: { params: nameParams, response: { 200: policyAnswer, '4xx': errorSchema } },
  async handle(ctx, req, _reply, who) {
    const { name: policyName } = req.params as { name: string };
    const row = await loadPolicy(ctx.db, who.tenantId, policyName);
    if (!row) fail('ERR_NOT_FOUND', 'no such policy');
    return { name: policyName, policy: row.document, updatedAt: iso(row.updated_at) };
  },
};

export const deletePolicyRoute: Endpoint<Principal> = {
  schema: {
    params: nameParams,
    response: { 200: object({ name: { type: 'string' }, deleted: { type: 'boolean' } }), 202: pendingActionSchema, '4xx': errorSchema },
  },
  async handle(ctx, req, reply, admin) {
    const { name: policyName } = req.params as { name: string };
    const answer = await ctx.db.tx(async (q) => {
      const before = await lockPolicy(q, admin.tenantId, policyName);
      if (!before) fail('ERR_NOT_FOUND', 'no such policy');
      const weakens = policyDeletionWeakens(before);
      if (weakens && (await twoPersonEnforced(q, admin.tenantId))) {
        return { pending: await requestAction(q, admin, { kind: 'policy.delete', target: policyName, reason: weakens }, req.ip) };
      }
      return { done: await deletePolicy(q, admin.tenantId, admin.userId, policyName, req.ip, null) };
    });
    if ('pending' in answer) return reply.status(202).send(answer.pending);
    return answer.done;
  },
};

// Trusted attestation issuers: JWT issuers with their JWKS given inline, the certificates
// that sign a cloud's PKCS#7 documents (kind aws or azure), or TPM manufacturer CAs that EK
// certificates chain to (kind tpm, devices/tpm.ts). The broker fetches nothing.
const jwk = {
  type: 'object',
  required: ['kty'],
  properties: { kty: { type: 'string' } },
  additionalProperties: true,
  maxProperties: 16,
} as const;
const issuerBody = object(
  {
    name,
    kind: { enum: ['jwt', 'aws', 'azure', 'tpm'] },
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

/**
 * Trusting an issuer lets its tokens and documents pass rules: it waits for a second admin
 * where two-person rules hold, as a policy that passes more requests does.
 */
export const putIssuer: Endpoint<Principal> = {
  schema: {
    body: issuerBody,
    response: {
      201: object({ name: { type: 'string' }, issuer: { type: 'string' }, kind: { type: 'string' } }),
      202: pendingActionSchema,
      '4xx': errorSchema,
    },
  },
  async handle(ctx, req, reply, admin) {
    const body = req.body as IssuerDocument;
    checkIssuer(body);
    const pending = await ctx.db.tx(async (q) => {
      if (await twoPersonEnforced(q, admin.tenantId)) {
        return requestAction(
          q,
          admin,
          {
            kind: 'issuer.update',
            target: body.name,
            payload: body,
            reason: "trusting an attestation issuer lets its tokens or documents pass policies' rules",
          },
          req.ip,
        );
      }
      await saveIssuer(q, admin.tenantId, admin.userId, body, req.ip, null);
      return undefined;
    });
    if (pending) return reply.status(202).send(pending);
    return reply.status(201).send({ name: body.name, kind: body.kind ?? 'jwt', ...(body.issuer ? { issuer: body.issuer } : {}) });
  },
};

// What each trusted issuer is, without its keys or certificates (counts only).
const issuerSummary = object({
  name: { type: 'string' },
  kind: { type: 'string' },
  issuer: { type: 'string' },
  audience: { type: 'string' },
  jwksUri: { type: 'string' },
  keys: { type: 'integer' },
  certificates: { type: 'integer' },
  createdAt: { type: 'string' },
});

export const listIssuers: Endpoint<Principal> = {
  schema: { response: { 200: object({ issuers: { type: 'array', items: issuerSummary } }), '4xx': errorSchema } },
  async handle(ctx, _req, _reply, admin) {
    const rows = await loadIssuers(ctx.db, admin.tenantId);
    return {
      issuers: rows.map(({ name: n, document: d, created_at }) => ({
        name: n,
        kind: d.kind ?? 'jwt',
        ...(d.issuer ? { issuer: d.issuer } : {}),
        ...(d.audience ? { audience: d.audience } : {}),
        ...(d.jwksUri ? { jwksUri: d.jwksUri } : {}),
        ...(d.jwks ? { keys: d.jwks.keys.length } : {}),
        ...(d.certificates ? { certificates: d.certificates.length } : {}),
        createdAt: iso(created_at),
      })),
    };
  },
};

/** A JWT issuer has issuer and jwks; a document issuer (aws, azure) has certificates that parse, and nothing else. */
function checkIssuer(body: {
  kind?: string;
  issuer?: string;
  audience?: string;
  jwks?: unknown;
  jwksUri?: string;
  jwksCa?: string;
  allowPrivateNetwork?: boolean;
  certificates?: string[];
}): void {
  if (body.kind === 'aws' || body.kind === 'azure' || body.kind === 'tpm') {
    if ([body.issuer, body.audience, body.jwks, body.jwksUri, body.jwksCa, body.allowPrivateNetwork].some((v) => v !== undefined))
      fail('ERR_ARGUMENT', `an issuer of kind ${body.kind} has certificates, not issuer, audience or a JWKS`);
    if (!body.certificates) fail('ERR_ARGUMENT', `an issuer of kind ${body.kind} needs certificates (PEM)`);
    body.certificates.forEach((pem, i) => {
      let cert: X509Certificate | undefined;
      try {
        cert = new X509Certificate(pem);
      } catch {
        fail('ERR_ARGUMENT', `/certificates/${i} is not a PEM certificate`);
      }
      // A TPM manufacturer's root or intermediate: an EK certificate itself is not a trust anchor.
      if (body.kind === 'tpm' && !cert.ca) fail('ERR_ARGUMENT', `/certificates/${i} is not a CA certificate (basicConstraints cA)`);
    });
    return;
  }
  if (body.certificates !== undefined) fail('ERR_ARGUMENT', 'certificates go with kind aws, azure or tpm');
  if (body.issuer === undefined || (body.jwks === undefined) === (body.jwksUri === undefined))
    fail('ERR_ARGUMENT', 'a JWT issuer needs issuer and one of jwks and jwksUri');
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
