/**
 * The release protocol (docs/broker.md "Enrolling agents"): POST /v1/agent/unwrap
 * and GET /v1/agent/requests/:id, both signed by the device; POST
 * /v1/agent/requests/:id/withdraw (the agent gave up waiting) and POST /v1/agent/revoke (an
 * enrollment whose state could not be written), also signed, each with its audit record.
 *
 * Order matters for "no released key without its record": the reply is sealed first, in
 * memory; then the decision and its audit record commit in one transaction; only then does
 * the answer leave. A crash before the commit leaves no record and sends nothing.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { BrokerContext } from '../context.js';
import { admitAgent, admitSigned, authenticateAgent, verifyAgentRequest, type AgentDevice, type SignedBy } from '../auth/agent-signature.js';
import { appendAudit } from '../audit/log.js';
import type { Sql } from '../store/types.js';
import { newId } from '../auth/secrets.js';
import { errorSchema, fail } from '../http/errors.js';
import { b64, fromB64, idParams, iso, object, toB64 } from '../http/schemas.js';
import { assertUsable, loadVersion, type KeyVersionRow, type SealedKind } from '../keys/version-keys.js';
import { hpkeSeal } from '../../keys/hpke.js';
import { buildClaims, type AgentClaims } from './request-claims.js';
import { boundPolicies, decide, type Decision, type Reason } from './decision.js';
import { policyBinds, type Policy } from '../policy/index.js';
import { keySetFailure, verifyAttestations, type TrustedIssuer } from '../attest/jwt.js';
import { verifyDocuments, type CloudDocuments, type DocumentIssuer } from '../attest/documents.js';
import { SectorCryptError } from '../../errors.js';
import { badInputMessage, checkInput, escapeText, findBadInput } from '../http/input-text.js';

const REPLY_INFO = new TextEncoder().encode('sectorcrypt-broker/v1 release');

const reasonSchema = object({
  policy: { type: ['string', 'null'] },
  rule: { type: 'string' },
  claim: { type: 'string' },
  expected: {},
  actual: {},
});
const answers = {
  200: object({ requestId: { type: 'string' }, decision: { const: 'released' }, enc: { type: 'string' }, ciphertext: { type: 'string' } }, ['requestId', 'decision', 'enc', 'ciphertext']),
  202: object({ requestId: { type: 'string' }, decision: { const: 'pending' }, expiresAt: { type: 'string' } }, ['requestId', 'decision', 'expiresAt']),
  403: {
    anyOf: [object({ requestId: { type: 'string' }, decision: { const: 'denied' }, reasons: { type: 'array', items: reasonSchema } }, ['requestId', 'decision', 'reasons']), errorSchema],
  },
  '4xx': errorSchema,
};

const claimObject = { type: 'object', maxProperties: 64 } as const;
const unwrapBody = object(
  {
    kind: { enum: ['envelope', 'luks2'] },
    keyId: { type: 'string', minLength: 1, maxLength: 64 },
    version: { type: 'integer', minimum: 1, maximum: 1_000_000 },
    enc: b64(44, 44),
    ciphertext: b64(4, 1024),
    resource: { type: 'string', minLength: 1, maxLength: 256, pattern: '^(luks2|envelope):[A-Za-z0-9+/=._-]+$' },
    claims: object({ identity: claimObject, integrity: claimObject }),
    attestations: { type: 'array', maxItems: 8, items: { type: 'string', minLength: 1, maxLength: 16_384 } },
    // Signed cloud documents (attest/documents.ts): PKCS#7 in base64, with AWS's signed JSON beside it.
    documents: object({
      aws: object({ document: { type: 'string', minLength: 2, maxLength: 4096 }, pkcs7: { type: 'string', minLength: 1, maxLength: 8192 } }, ['document', 'pkcs7']),
      azure: object({ signature: { type: 'string', minLength: 1, maxLength: 16_384 } }, ['signature']),
    }),
    replyKey: b64(44, 44),
  },
  ['kind', 'keyId', 'version', 'enc', 'ciphertext', 'resource', 'replyKey'],
);

interface UnwrapBody {
  kind: SealedKind;
  keyId: string;
  version: number;
  enc: string;
  ciphertext: string;
  resource: string;
  claims?: AgentClaims;
  attestations?: string[];
  documents?: CloudDocuments;
  replyKey: string;
}

interface RequestRow {
  tenant_id: string;
  id: string;
  device_id: string;
  key_id: string;
  version: number;
  kind: SealedKind;
  resource: string;
  sealed_enc: Uint8Array;
  sealed_ciphertext: Uint8Array;
  reply_public_key: Uint8Array;
  claims: Record<string, unknown>;
  status: 'pending' | 'approved' | 'released' | 'denied' | 'expired';
  policy: string | null;
  trace: Reason[];
  created_at: string;
  expires_at: string | null;
}

/** Opens the sealed secret and seals it again to the agent's one-time reply key. */
async function sealReply(ctx: BrokerContext, v: KeyVersionRow, r: { kind: SealedKind; resource: string; enc: Uint8Array; ciphertext: Uint8Array; replyKey: Uint8Array; requestId: string }) {
  const secret = await ctx.versionKeys.open(v, r.kind, r.resource, { enc: r.enc, ciphertext: r.ciphertext });
  try {
    return await hpkeSeal('x25519', r.replyKey, REPLY_INFO, new TextEncoder().encode(r.requestId), secret);
  } finally {
    secret.fill(0);
  }
}

type Loaded = { version: KeyVersionRow; policies: Policy[] };

/**
 * The admission (nonce, revocation: auth/agent-signature.ts), the key version asked for and the
 * tenant's policies, in one statement: the release path's only read.
 */
async function admitAndLoad(ctx: BrokerContext, req: FastifyRequest, signed: SignedBy, body: UnwrapBody): Promise<{ device: AgentDevice; loaded: Loaded | undefined }> {
  type Row = { fresh: number; revoked_at: string | null } & Omit<KeyVersionRow, 'tenant_id'> & { tenant_id: string | null; policies: Policy[] };
  // auth/agent-signature.ts's admission and the release's reads, as one planned function, in a batch
  // with the requests that arrive meanwhile (admissions.ts).
  const row = await ctx.admissions.admit<Row>({ tenantId: signed.device.tenantId, deviceId: signed.device.id, nonce: signed.nonce, keyId: body.keyId, version: body.version });
  const device = await admitAgent(ctx, req, signed.device, row);
  if (!row?.tenant_id) return { device, loaded: undefined };
  const { fresh: _f, revoked_at: _r, policies, ...v } = row;
  return { device, loaded: { version: { ...v, tenant_id: row.tenant_id, version: Number(v.version), public_key: new Uint8Array(v.public_key) }, policies } };
}

type IssuerDocument = Omit<TrustedIssuer, 'name'> & { kind?: 'jwt' | DocumentIssuer['kind']; certificates?: string[] };

/** The tenant's JWT issuers and its signers of cloud documents (aws, azure). */
async function trustedIssuers(q: Sql, tenantId: string): Promise<{ jwt: TrustedIssuer[]; documents: DocumentIssuer[] }> {
  const rows = await q.query<{ name: string; document: IssuerDocument }>('SELECT name, document FROM issuers WHERE tenant_id = $1', [tenantId]);
  const jwt: TrustedIssuer[] = [];
  const documents: DocumentIssuer[] = [];
  for (const { name, document: d } of rows) {
    if (d.kind === 'aws' || d.kind === 'azure') documents.push({ name, kind: d.kind, certificates: d.certificates ?? [] });
    else jwt.push({ name, issuer: d.issuer, ...(d.audience ? { audience: d.audience } : {}), ...(d.jwks ? { jwks: d.jwks } : { jwksUri: d.jwksUri, jwksCa: d.jwksCa, allowPrivateNetwork: d.allowPrivateNetwork === true }) });
  }
  return { jwt, documents };
}

function sendDenied(reply: FastifyReply, requestId: string, reasons: Reason[]) {
  return reply.status(403).send({ requestId, decision: 'denied', reasons });
}

/** The release, once the request's signature and device are checked (docs/broker.md "The release, step by step", steps 1-3). */
async function unwrap(ctx: BrokerContext, device: AgentDevice, loaded: Loaded | undefined, body: UnwrapBody, ip: string, reply: FastifyReply) {
  const sealed = { enc: fromB64(body.enc), ciphertext: fromB64(body.ciphertext) };
  const replyKey = fromB64(body.replyKey);
  if (sealed.enc.length !== 32 || replyKey.length !== 32) fail('ERR_ARGUMENT', 'enc and replyKey are 32-byte X25519 keys');
  if (!body.resource.startsWith(`${body.kind}:`)) fail('ERR_ARGUMENT', `a ${body.kind} release names a ${body.kind}: resource`);
  const now = ctx.now();
  // Step 1: the key (docs/broker.md "The release, step by step"): known in this tenant, not destroyed, version not retired.
  if (!loaded) fail('ERR_NOT_FOUND', 'no such key or version');
  assertUsable(loaded.version);

  const issuers = body.attestations?.length || body.documents ? await trustedIssuers(ctx.db, device.tenantId) : undefined;
  const attested = body.attestations?.length ? await verifyAttestations(body.attestations, issuers!.jwt, now) : {};
  // A cloud document that does not verify denies the request, naming why (not an error).
  const docs = body.documents ? verifyDocuments(body.documents, issuers!.documents, now) : undefined;
  const claims = buildClaims({ device, agent: body.claims, attested: { ...docs?.attested, ...attested }, ip, now, resource: body.resource });
  // Step 2: every bound policy, with its trace.
  const bound = loaded.policies.filter((p) => policyBinds(p, { deviceId: device.deviceId, deviceGroups: device.groups, keyId: body.keyId }));
  const decision: Decision = docs?.reasons.length ? { decision: 'denied', policy: null, reasons: docs.reasons } : decide(bound, claims, now);
  // Claims taken from attestations and cloud documents are strings from outside too.
  checkInput({ claims, trace: decision.reasons }, 'the claims');
  const requestId = newId('req');

  let answer: { enc: Uint8Array; ciphertext: Uint8Array } | undefined;
  let status: RequestRow['status'] = 'denied';
  let expiresAt: Date | null = null;
  if (decision.decision === 'release') {
    status = 'released';
    answer = await sealReply(ctx, loaded.version, { kind: body.kind, resource: body.resource, ...sealed, replyKey, requestId });
  } else if (decision.decision === 'manual') {
    status = 'pending';
    // Approvers should not be asked about a secret that would not open: check it now.
    (await sealReply(ctx, loaded.version, { kind: body.kind, resource: body.resource, ...sealed, replyKey, requestId })).ciphertext.fill(0);
    expiresAt = new Date(now.getTime() + (decision.approval?.ttlSeconds ?? 3600) * 1000);
  }

  const action = status === 'released' ? 'key.release' : status === 'pending' ? 'request.pending' : 'key.deny';
  // The decision and its record commit (in a batch with others) before the answer leaves.
  await ctx.releases.record(
    device.tenantId,
    {
      tenant_id: device.tenantId, id: requestId, device_id: device.deviceId, key_id: body.keyId, version: body.version, kind: body.kind,
      resource: body.resource, sealed_enc: sealed.enc, sealed_ciphertext: sealed.ciphertext, reply_public_key: replyKey, claims,
      status: status as 'released' | 'pending' | 'denied', policy: decision.policy, approvers_needed: decision.approval?.approvers ?? 0,
      trace: decision.reasons, created_at: now, expires_at: expiresAt, decided_at: status === 'pending' ? null : now,
    },
    {
      actor: device.deviceId,
      action,
      target: `${body.keyId}/${body.version}`,
      outcome: status === 'released' ? 'success' : status === 'pending' ? 'pending' : 'denied',
      reasons: { policy: decision.policy, ...(decision.approval ? { approval: decision.approval } : {}), resource: body.resource, trace: decision.reasons },
      requestId,
      sourceIp: ip,
    },
  );

  if (answer) return reply.status(200).send({ requestId, decision: 'released', enc: toB64(answer.enc), ciphertext: toB64(answer.ciphertext) });
  if (status === 'pending') return reply.status(202).send({ requestId, decision: 'pending', expiresAt: expiresAt!.toISOString() });
  return sendDenied(reply, requestId, decision.reasons);
}

export function agentRoutes(app: FastifyInstance, ctx: BrokerContext): void {
  app.post('/v1/agent/unwrap', { schema: { body: unwrapBody, response: answers }, config: { bodyTextCheckedByHandler: true } }, async (req, reply) => {
    const body = req.body as UnwrapBody;
    const signed = await authenticateAgent(ctx, req);
    await refuseBadText(ctx, req, signed, body);
    const { device, loaded } = await admitAndLoad(ctx, req, signed, body);
    try {
      return await unwrap(ctx, device, loaded, body, req.ip, reply);
    } catch (err) {
      // A request refused before its decision (retired version, destroyed key, bad
      // attestation, a secret that does not open) still leaves its record.
      if (err instanceof SectorCryptError) {
        await ctx.db.tx((q) =>
          appendAudit(q, device.tenantId, {
            actor: device.deviceId,
            action: 'key.deny',
            target: `${body.keyId}/${body.version}`,
            outcome: 'denied',
            reasons: { code: err.code, resource: body.resource, ...(keySetFailure(err) ? { jwks: keySetFailure(err) } : {}) },
            sourceIp: req.ip,
          }),
        );
      }
      throw err;
    }
  });

  app.get('/v1/agent/requests/:id', { schema: { params: idParams, response: answers } }, async (req, reply) => {
    const device = await verifyAgentRequest(ctx, req);
    const { id } = req.params as { id: string };
    const rows = await ctx.db.query<RequestRow>('SELECT * FROM release_requests WHERE tenant_id = $1 AND id = $2 AND device_id = $3', [device.tenantId, id, device.deviceId]);
    const r = rows[0];
    if (!r) fail('ERR_NOT_FOUND', 'no such request');
    const now = ctx.now();
    if ((r.status === 'pending' || r.status === 'approved') && r.expires_at && new Date(r.expires_at) <= now) {
      await expire(ctx, r, device);
      fail('ERR_EXPIRED', 'this request expired before it was released');
    }
    if (r.status === 'expired') fail('ERR_EXPIRED', 'this request expired');
    if (r.status === 'denied') return sendDenied(reply, r.id, r.trace);
    if (r.status === 'pending') return reply.status(202).send({ requestId: r.id, decision: 'pending', expiresAt: iso(r.expires_at) });
    return collect(ctx, r, device, reply, req.ip);
  });
}

/** Routes an agent uses to undo its own work: a withdrawn wait, an enrollment it could not keep. */
export function agentUndoRoutes(app: FastifyInstance, ctx: BrokerContext): void {
  const withdrawn = object({ requestId: { type: 'string' }, withdrawn: { type: 'boolean' } }, ['requestId', 'withdrawn']);
  // A pending (or approved, not yet collected) request of this device is closed, as expired,
  // so approvers no longer see it; one already decided is left as it is (withdrawn: false).
  app.post('/v1/agent/requests/:id/withdraw', { schema: { params: idParams, response: { 200: withdrawn, '4xx': errorSchema } } }, async (req) => {
    const device = await verifyAgentRequest(ctx, req);
    const { id } = req.params as { id: string };
    return ctx.db.tx(async (q) => {
      const known = await q.query<{ key_id: string; version: number }>('SELECT key_id, version FROM release_requests WHERE tenant_id = $1 AND id = $2 AND device_id = $3', [device.tenantId, id, device.deviceId]);
      if (!known[0]) fail('ERR_NOT_FOUND', 'no such request');
      const changed = await q.query(
        "UPDATE release_requests SET status = 'expired', decided_at = now() WHERE tenant_id = $1 AND id = $2 AND device_id = $3 AND status IN ('pending', 'approved') RETURNING id",
        [device.tenantId, id, device.deviceId],
      );
      if (changed.length) {
        await appendAudit(q, device.tenantId, { actor: device.deviceId, action: 'request.withdraw', target: `${known[0].key_id}/${known[0].version}`, outcome: 'failure', requestId: id, sourceIp: req.ip });
      }
      return { requestId: id, withdrawn: changed.length > 0 };
    });
  });

  const revoked = object({ deviceId: { type: 'string' }, revokedAt: { type: 'string' } }, ['deviceId', 'revokedAt']);
  app.post('/v1/agent/revoke', { schema: { response: { 200: revoked, '4xx': errorSchema } } }, async (req) => {
    const device = await verifyAgentRequest(ctx, req);
    return ctx.db.tx(async (q) => {
      const rows = await q.query<{ revoked_at: string }>('UPDATE devices SET revoked_at = coalesce(revoked_at, now()) WHERE tenant_id = $1 AND id = $2 RETURNING revoked_at', [device.tenantId, device.deviceId]);
      await appendAudit(q, device.tenantId, { actor: device.deviceId, action: 'device.revoke', target: device.deviceId, outcome: 'success', reasons: { by: 'the device itself' }, sourceIp: req.ip });
      return { deviceId: device.deviceId, revokedAt: iso(rows[0]!.revoked_at) };
    });
  });
}

/**
 * A signed request whose body holds text the database cannot store (http/input-text.ts): refused
 * with 400 before it reaches a batch, and recorded once its nonce is admitted (a replay of it
 * is ERR_REPLAY, without a record). The record names where, never the text.
 */
async function refuseBadText(ctx: BrokerContext, req: FastifyRequest, signed: SignedBy, body: UnwrapBody): Promise<void> {
  const bad = findBadInput(body);
  if (!bad) return;
  const device = await admitSigned(ctx, req, signed);
  await ctx.db.tx((q) =>
    appendAudit(q, device.tenantId, {
      actor: device.deviceId,
      action: 'key.deny',
      target: `${escapeText(body.keyId)}/${body.version}`,
      outcome: 'denied',
      reasons: { code: 'ERR_ARGUMENT', why: bad.what === 'string' || bad.what === 'key' ? 'text the broker does not store' : bad.what === 'depth' ? 'nested too deep' : 'number out of range', at: bad.path },
      sourceIp: req.ip,
    }),
  );
  fail('ERR_ARGUMENT', badInputMessage('the body', bad));
}

async function expire(ctx: BrokerContext, r: RequestRow, device: AgentDevice): Promise<void> {
  await ctx.db.tx(async (q) => {
    const changed = await q.query("UPDATE release_requests SET status = 'expired', decided_at = now() WHERE id = $1 AND status IN ('pending', 'approved') RETURNING id", [r.id]);
    if (changed.length) await appendAudit(q, device.tenantId, { actor: 'broker', action: 'request.expire', target: `${r.key_id}/${r.version}`, outcome: 'failure', requestId: r.id });
  });
}

/**
 * An approved (or already released) request: check again that a policy still allows it on
 * the claims of that request (at the time of that request, so a slow approval does not
 * fail a maxAgeSeconds rule), that the device is still enrolled and the key still usable,
 * then seal the secret to the request's reply key.
 */
async function collect(ctx: BrokerContext, r: RequestRow, device: AgentDevice, reply: FastifyReply, ip: string) {
  const decision = decide(await boundPolicies(ctx.db, device.tenantId, r.key_id, device.deviceId, device.groups), r.claims, new Date(r.created_at));
  if (decision.decision === 'denied') {
    await ctx.db.tx(async (q) => {
      await q.query("UPDATE release_requests SET status = 'denied', trace = $2, decided_at = now() WHERE id = $1", [r.id, JSON.stringify(decision.reasons)]);
      await appendAudit(q, device.tenantId, { actor: 'broker', action: 'key.deny', target: `${r.key_id}/${r.version}`, outcome: 'denied', reasons: { recheck: true, trace: decision.reasons }, requestId: r.id, sourceIp: ip });
    });
    return sendDenied(reply, r.id, decision.reasons);
  }
  let answer: { enc: Uint8Array; ciphertext: Uint8Array };
  try {
    const v = await loadVersion(ctx.db, device.tenantId, r.key_id, Number(r.version));
    answer = await sealReply(ctx, v, {
      kind: r.kind, resource: r.resource,
      enc: new Uint8Array(r.sealed_enc), ciphertext: new Uint8Array(r.sealed_ciphertext), replyKey: new Uint8Array(r.reply_public_key), requestId: r.id,
    });
  } catch (err) {
    // Approved, then refused here (version retired or key destroyed meanwhile): recorded too.
    if (err instanceof SectorCryptError) {
      await ctx.db.tx((q) =>
        appendAudit(q, device.tenantId, { actor: device.deviceId, action: 'key.deny', target: `${r.key_id}/${r.version}`, outcome: 'denied', reasons: { code: err.code, recheck: true, resource: r.resource }, requestId: r.id, sourceIp: ip }),
      );
    }
    throw err;
  }
  await ctx.db.tx(async (q) => {
    // Only from approved or released: a deny or expiry that committed meanwhile wins.
    const changed = await q.query(
      "UPDATE release_requests SET status = 'released', decided_at = coalesce(decided_at, now()) WHERE id = $1 AND status IN ('approved', 'released') RETURNING id",
      [r.id],
    );
    if (!changed.length) fail('ERR_CONFLICT', 'this request changed state meanwhile; ask again');
    await appendAudit(q, device.tenantId, { actor: device.deviceId, action: 'key.release', target: `${r.key_id}/${r.version}`, outcome: 'success', reasons: { policy: decision.policy, resource: r.resource, approved: true }, requestId: r.id, sourceIp: ip });
  });
  return reply.status(200).send({ requestId: r.id, decision: 'released', enc: toB64(answer.enc), ciphertext: toB64(answer.ciphertext) });
}
