/**
 * A TPM device's own calls (docs/broker.md "Enrolling with a TPM"), both signed by the device:
 * POST /v1/agent/tpm/activate proves the credential's secret once after enrollment; POST
 * /v1/agent/tpm/challenge gives a one-time nonce and the PCRs to quote for one release.
 * GET /v1/devices/:id/tpm (admin) shows a device's last verified TPM claims (policy learn).
 */
import type { Endpoint } from '../http/endpoint.js';
import type { AgentDevice } from '../auth/agent-signature.js';
import type { Principal } from '../auth/principal.js';
import { errorSchema, fail } from '../http/errors.js';
import { fromB64, idParams, iso, object } from '../http/schemas.js';
import { deviceTpm } from './repository.js';
import { tpmActivateSchema, tpmChallengeAnswer } from '../../protocol/tpm.js';
import { activate, quoteChallenge } from './tpm.js';

export const tpmActivate: Endpoint<AgentDevice> = {
  schema: {
    body: tpmActivateSchema,
    response: { 200: object({ deviceId: { type: 'string' }, activated: { type: 'boolean' } }), '4xx': errorSchema },
  },
  async handle(ctx, req, _reply, device) {
    const body = req.body as { challengeId: string; secret: string };
    if (!device.tpm) fail('ERR_ARGUMENT', 'this device was enrolled without a TPM');
    const secret = fromB64(body.secret);
    try {
      // The outcome commits either way (a wrong secret revokes the device), then the answer says it.
      const r = await ctx.db.tx((q) => activate(q, device, body.challengeId, secret, req.ip));
      if (!r.ok) fail(r.code, r.why);
      return { deviceId: device.deviceId, activated: true };
    } finally {
      secret.fill(0);
    }
  },
};

export const tpmChallenge: Endpoint<AgentDevice> = {
  schema: { response: { 200: tpmChallengeAnswer, '4xx': errorSchema } },
  async handle(ctx, _req, _reply, device) {
    return ctx.db.tx((q) => quoteChallenge(q, device));
  },
};

export const deviceTpmEvidence: Endpoint<Principal> = {
  schema: {
    params: idParams,
    response: {
      200: object({
        deviceId: { type: 'string' },
        activatedAt: { type: ['string', 'null'] },
        verifiedAt: { type: ['string', 'null'] },
        claims: { type: ['object', 'null'], additionalProperties: true },
      }),
      '4xx': errorSchema,
    },
  },
  async handle(ctx, req, _reply, admin) {
    const { id } = req.params as { id: string };
    const row = await deviceTpm(ctx.db, admin.tenantId, id);
    if (!row) fail('ERR_NOT_FOUND', 'no such device');
    return {
      deviceId: id,
      activatedAt: row.tpm_activated_at ? iso(row.tpm_activated_at) : null,
      verifiedAt: row.tpm_verified_at ? iso(row.tpm_verified_at) : null,
      claims: row.tpm_claims,
    };
  },
};
