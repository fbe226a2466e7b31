/**
 * The release protocol's work (docs/broker.md "The release, step by step"), for the signed
 * agent routes (routes-agent.ts): the decision on a new request, and the collection of an
 * approved one.
 *
 * Order matters for "no released key without its record": the reply is sealed first, in
 * memory; then the decision and its audit record commit in one transaction; only then does
 * the answer leave. A crash before the commit leaves no record and sends nothing.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { BrokerContext } from '../context.js';
import { admitAgent, admitSigned, type AgentDevice, type SignedBy } from '../auth/agent-signature.js';
import { appendAudit } from '../audit/log.js';
import type { Sql } from '../store/types.js';
import { newId } from '../auth/secrets.js';
import { fail } from '../http/errors.js';
import { fromB64, toB64 } from '../http/schemas.js';
import { assertUsable, type SealedKind } from '../keys/version-keys.js';
import { loadVersion, type KeyVersionRow } from '../keys/repository.js';
import { hpkeSeal } from '../../keys/hpke.js';
import { buildClaims, type AgentClaims } from './request-claims.js';
import { boundPolicies, decide, type Decision, type Reason } from './decision.js';
import { policyBinds, type Policy } from '../policy/index.js';
import { issuerDocuments } from '../policy/repository.js';
import { verifyAttestations, type TrustedIssuer } from '../attest/jwt.js';
import { verifyDocuments, type CloudDocuments, type DocumentIssuer } from '../attest/documents.js';
import { SectorCryptError } from '../../errors.js';
import { badInputMessage, checkInput, escapeText, findBadInput } from '../http/input-text.js';
import * as requests from './repository.js';
import { REPLY_INFO as REPLY_INFO_TEXT } from '../../protocol/constants.js';
import type { ReleaseRequestRow } from './repository.js';
import type { TpmEvidenceBody } from '../../protocol/tpm.js';
import { releaseEvidence } from '../devices/tpm.js';

const REPLY_INFO = new TextEncoder().encode(REPLY_INFO_TEXT);

export interface UnwrapBody {
  kind: SealedKind;
  keyId: string;
  version: number;
  enc: string;
  ciphertext: string;
  resource: string;
  claims?: AgentClaims;
  attestations?: string[];
  documents?: CloudDocuments;
  tpm?: TpmEvidenceBody;
  replyKey: string;
}

/** Opens the sealed secret and seals it again to the agent's one-time reply key. */
async function sealReply(
  ctx: BrokerContext,
  v: KeyVersionRow,
  r: { kind: SealedKind; resource: string; enc: Uint8Array; ciphertext: Uint8Array; replyKey: Uint8Array; requestId: string },
) {
  const secret = await ctx.versionKeys.open(v, r.kind, r.resource, { enc: r.enc, ciphertext: r.ciphertext });
  try {
    return await hpkeSeal('x25519', r.replyKey, REPLY_INFO, new TextEncoder().encode(r.requestId), secret);
  } finally {
    secret.fill(0);
  }
}

export type Loaded = { version: KeyVersionRow; policies: Policy[] };

/**
 * The admission (nonce, revocation: auth/agent-signature.ts), the key version asked for and the
 * tenant's policies, in one statement: the release path's only read.
 */
export async function admitAndLoad(
  ctx: BrokerContext,
  req: FastifyRequest,
  signed: SignedBy,
  body: UnwrapBody,
): Promise<{ device: AgentDevice; loaded: Loaded | undefined }> {
  type Row = { fresh: number; revoked_at: string | null } & Omit<KeyVersionRow, 'tenant_id'> & {
      tenant_id: string | null;
      policies: Policy[];
    };
  // auth/agent-signature.ts's admission and the release's reads, as one planned function, in a batch
  // with the requests that arrive meanwhile (admissions.ts).
  const row = await ctx.admissions.admit<Row>({
    tenantId: signed.device.tenantId,
    deviceId: signed.device.id,
    nonce: signed.nonce,
    keyId: body.keyId,
    version: body.version,
  });
  const device = await admitAgent(ctx, req, signed.device, row);
  if (!row?.tenant_id) return { device, loaded: undefined };
  const { fresh: _f, revoked_at: _r, policies, ...v } = row;
  return {
    device,
    loaded: { version: { ...v, tenant_id: row.tenant_id, version: Number(v.version), public_key: new Uint8Array(v.public_key) }, policies },
  };
}

/** The tenant's JWT issuers and its signers of cloud documents (aws, azure). */
async function trustedIssuers(q: Sql, tenantId: string): Promise<{ jwt: TrustedIssuer[]; documents: DocumentIssuer[] }> {
  const jwt: TrustedIssuer[] = [];
  const documents: DocumentIssuer[] = [];
  for (const { name, document: d } of await issuerDocuments(q, tenantId)) {
    if (d.kind === 'tpm') continue; // EK certificates only (devices/tpm.ts)
    if (d.kind === 'aws' || d.kind === 'azure') documents.push({ name, kind: d.kind, certificates: d.certificates ?? [] });
    else
      jwt.push({
        name,
        issuer: d.issuer!,
        ...(d.audience ? { audience: d.audience } : {}),
        ...(d.jwks
          ? { jwks: d.jwks as TrustedIssuer['jwks'] }
          : { jwksUri: d.jwksUri, jwksCa: d.jwksCa, allowPrivateNetwork: d.allowPrivateNetwork === true }),
      });
  }
  return { jwt, documents };
}

export function sendDenied(reply: FastifyReply, requestId: string, reasons: Reason[]) {
  return reply.status(403).send({ requestId, decision: 'denied', reasons });
}

/** The release, once the request's signature and device are checked (docs/broker.md "The release, step by step", steps 1-3). */
export async function unwrap(
  ctx: BrokerContext,
  device: AgentDevice,
  loaded: Loaded | undefined,
  body: UnwrapBody,
  ip: string,
  reply: FastifyReply,
) {
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
  // A device enrolled with a TPM releases only with a quote that verifies; its challenge is
  // spent here, whatever the decision (devices/tpm.ts).
  const tpm = device.tpm || body.tpm ? await releaseEvidence(ctx.db, device, body) : undefined;
  const refused = [...(docs?.reasons ?? []), ...(tpm?.reasons ?? [])];
  const claims = buildClaims({
    device,
    agent: body.claims,
    attested: { ...docs?.attested, ...attested },
    ...(tpm?.claims ? { tpm: tpm.claims } : {}),
    ip,
    now,
    resource: body.resource,
  });
  // Step 2: every bound policy, with its trace.
  const bound = loaded.policies.filter((p) =>
    policyBinds(p, { deviceId: device.deviceId, deviceGroups: device.groups, keyId: body.keyId }),
  );
  const decision: Decision = refused.length ? { decision: 'denied', policy: null, reasons: refused } : decide(bound, claims, now);
  // Claims taken from attestations and cloud documents are strings from outside too.
  checkInput({ claims, trace: decision.reasons }, 'the claims');
  const requestId = newId('req');

  let answer: { enc: Uint8Array; ciphertext: Uint8Array } | undefined;
  let status: ReleaseRequestRow['status'] = 'denied';
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
      tenant_id: device.tenantId,
      id: requestId,
      device_id: device.deviceId,
      key_id: body.keyId,
      version: body.version,
      kind: body.kind,
      resource: body.resource,
      sealed_enc: sealed.enc,
      sealed_ciphertext: sealed.ciphertext,
      reply_public_key: replyKey,
      claims,
      status: status as 'released' | 'pending' | 'denied',
      policy: decision.policy,
      approvers_needed: decision.approval?.approvers ?? 0,
      trace: decision.reasons,
      created_at: now,
      expires_at: expiresAt,
      decided_at: status === 'pending' ? null : now,
    },
    {
      actor: device.deviceId,
      action,
      target: `${body.keyId}/${body.version}`,
      outcome: status === 'released' ? 'success' : status === 'pending' ? 'pending' : 'denied',
      reasons: {
        policy: decision.policy,
        ...(decision.approval ? { approval: decision.approval } : {}),
        resource: body.resource,
        trace: decision.reasons,
      },
      requestId,
      sourceIp: ip,
    },
  );

  if (answer)
    return reply.status(200).send({ requestId, decision: 'released', enc: toB64(answer.enc), ciphertext: toB64(answer.ciphertext) });
  if (status === 'pending') return reply.status(202).send({ requestId, decision: 'pending', expiresAt: expiresAt!.toISOString() });
  return sendDenied(reply, requestId, decision.reasons);
}

/**
 * A signed request whose body holds text the database cannot store (http/input-text.ts): refused
 * with 400 before it reaches a batch, and recorded once its nonce is admitted (a replay of it
 * is ERR_REPLAY, without a record). The record names where, never the text.
 */
export async function refuseBadText(ctx: BrokerContext, req: FastifyRequest, signed: SignedBy, body: UnwrapBody): Promise<void> {
  const bad = findBadInput(body);
  if (!bad) return;
  const device = await admitSigned(ctx, req, signed);
  await ctx.db.tx((q) =>
    appendAudit(q, device.tenantId, {
      actor: device.deviceId,
      action: 'key.deny',
      target: `${escapeText(body.keyId)}/${body.version}`,
      outcome: 'denied',
      reasons: {
        code: 'ERR_ARGUMENT',
        why:
          bad.what === 'string' || bad.what === 'key'
            ? 'text the broker does not store'
            : bad.what === 'depth'
              ? 'nested too deep'
              : 'number out of range',
        at: bad.path,
      },
      sourceIp: req.ip,
    }),
  );
  fail('ERR_ARGUMENT', badInputMessage('the body', bad));
}

export async function expire(ctx: BrokerContext, r: ReleaseRequestRow, device: AgentDevice): Promise<void> {
  await ctx.db.tx(async (q) => {
    if (await requests.expireOpen(q, r.id))
      await appendAudit(q, device.tenantId, {
        actor: 'broker',
        action: 'request.expire',
        target: `${r.key_id}/${r.version}`,
        outcome: 'failure',
        requestId: r.id,
      });
  });
}

/**
 * An approved (or already released) request: check again that a policy still allows it on
 * the claims of that request (at the time of that request, so a slow approval does not
 * fail a maxAgeSeconds rule), that the device is still enrolled and the key still usable,
 * then seal the secret to the request's reply key.
 */
export async function collect(ctx: BrokerContext, r: ReleaseRequestRow, device: AgentDevice, reply: FastifyReply, ip: string) {
  const decision = decide(
    await boundPolicies(ctx.db, device.tenantId, r.key_id, device.deviceId, device.groups),
    r.claims,
    new Date(r.created_at),
  );
  if (decision.decision === 'denied') {
    await ctx.db.tx(async (q) => {
      await requests.deny(q, r.id, decision.reasons);
      await appendAudit(q, device.tenantId, {
        actor: 'broker',
        action: 'key.deny',
        target: `${r.key_id}/${r.version}`,
        outcome: 'denied',
        reasons: { recheck: true, trace: decision.reasons },
        requestId: r.id,
        sourceIp: ip,
      });
    });
    return sendDenied(reply, r.id, decision.reasons);
  }
  let answer: { enc: Uint8Array; ciphertext: Uint8Array };
  try {
    const v = await loadVersion(ctx.db, device.tenantId, r.key_id, Number(r.version));
    answer = await sealReply(ctx, v, {
      kind: r.kind,
      resource: r.resource,
      enc: new Uint8Array(r.sealed_enc),
      ciphertext: new Uint8Array(r.sealed_ciphertext),
      replyKey: new Uint8Array(r.reply_public_key),
      requestId: r.id,
    });
  } catch (err) {
    // Approved, then refused here (version retired or key destroyed meanwhile): recorded too.
    if (err instanceof SectorCryptError) {
      await ctx.db.tx((q) =>
        appendAudit(q, device.tenantId, {
          actor: device.deviceId,
          action: 'key.deny',
          target: `${r.key_id}/${r.version}`,
          outcome: 'denied',
          reasons: { code: err.code, recheck: true, resource: r.resource },
          requestId: r.id,
          sourceIp: ip,
        }),
      );
    }
    throw err;
  }
  await ctx.db.tx(async (q) => {
    // Only from approved or released: a deny or expiry that committed meanwhile wins.
    if (!(await requests.markReleased(q, r.id))) fail('ERR_CONFLICT', 'this request changed state meanwhile; ask again');
    await appendAudit(q, device.tenantId, {
      actor: device.deviceId,
      action: 'key.release',
      target: `${r.key_id}/${r.version}`,
      outcome: 'success',
      reasons: { policy: decision.policy, resource: r.resource, approved: true },
      requestId: r.id,
      sourceIp: ip,
    });
  });
  return reply.status(200).send({ requestId: r.id, decision: 'released', enc: toB64(answer.enc), ciphertext: toB64(answer.ciphertext) });
}
