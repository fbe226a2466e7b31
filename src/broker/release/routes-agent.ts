/**
 * The release protocol's routes (docs/broker.md "Enrolling agents"): POST /v1/agent/unwrap
 * and GET /v1/agent/requests/:id, both signed by the device; POST
 * /v1/agent/requests/:id/withdraw (the agent gave up waiting), also signed, with its audit
 * record. The work is service.ts's.
 */
import type { Endpoint } from '../http/endpoint.js';
import type { AgentDevice, SignedBy } from '../auth/agent-signature.js';
import { appendAudit } from '../audit/log.js';
import { errorSchema, fail } from '../http/errors.js';
import { b64, idParams, iso, object } from '../http/schemas.js';
import { keySetFailure } from '../attest/jwt.js';
import { SectorCryptError } from '../../errors.js';
import { admitAndLoad, collect, expire, refuseBadText, sendDenied, unwrap, type UnwrapBody } from './service.js';
import * as requests from './repository.js';
import { cloudDocumentsSchema, reasonSchema, TPM_BODY_LIMIT, tpmEvidenceSchema } from '../../protocol/index.js';

const answers = {
  200: object({ requestId: { type: 'string' }, decision: { const: 'released' }, enc: { type: 'string' }, ciphertext: { type: 'string' } }, [
    'requestId',
    'decision',
    'enc',
    'ciphertext',
  ]),
  202: object({ requestId: { type: 'string' }, decision: { const: 'pending' }, expiresAt: { type: 'string' } }, [
    'requestId',
    'decision',
    'expiresAt',
  ]),
  403: {
    anyOf: [
      object({ requestId: { type: 'string' }, decision: { const: 'denied' }, reasons: { type: 'array', items: reasonSchema } }, [
        'requestId',
        'decision',
        'reasons',
      ]),
      errorSchema,
    ],
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
    documents: cloudDocumentsSchema,
    // A TPM quote with its PCR values and event logs (devices/tpm.ts).
    tpm: tpmEvidenceSchema,
    replyKey: b64(44, 44),
  },
  ['kind', 'keyId', 'version', 'enc', 'ciphertext', 'resource', 'replyKey'],
);

/**
 * The signature is checked before the handler (access 'signed'); the nonce is admitted here,
 * after the body's text check and together with the release's reads (service.ts admitAndLoad).
 */
export const agentUnwrap: Endpoint<SignedBy> = {
  schema: { body: unwrapBody, response: answers },
  config: { bodyTextCheckedByHandler: true },
  // Event logs: an IMA log grows with every file measured. Only this route reads that much.
  bodyLimit: TPM_BODY_LIMIT,
  async handle(ctx, req, reply, signed) {
    const body = req.body as UnwrapBody;
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
  },
};

export const agentRequest: Endpoint<AgentDevice> = {
  schema: { params: idParams, response: answers },
  async handle(ctx, req, reply, device) {
    const { id } = req.params as { id: string };
    const r = await requests.deviceRequest(ctx.db, device.tenantId, id, device.deviceId);
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
  },
};

const withdrawn = object({ requestId: { type: 'string' }, withdrawn: { type: 'boolean' } }, ['requestId', 'withdrawn']);

/**
 * A pending (or approved, not yet collected) request of this device is closed, as expired,
 * so approvers no longer see it; one already decided is left as it is (withdrawn: false).
 */
export const agentWithdraw: Endpoint<AgentDevice> = {
  schema: { params: idParams, response: { 200: withdrawn, '4xx': errorSchema } },
  async handle(ctx, req, _reply, device) {
    const { id } = req.params as { id: string };
    return ctx.db.tx(async (q) => {
      const known = await requests.deviceRequestTarget(q, device.tenantId, id, device.deviceId);
      if (!known) fail('ERR_NOT_FOUND', 'no such request');
      const changed = await requests.withdraw(q, device.tenantId, id, device.deviceId);
      if (changed) {
        await appendAudit(q, device.tenantId, {
          actor: device.deviceId,
          action: 'request.withdraw',
          target: `${known.key_id}/${known.version}`,
          outcome: 'failure',
          requestId: id,
          sourceIp: req.ip,
        });
      }
      return { requestId: id, withdrawn: changed };
    });
  },
};
