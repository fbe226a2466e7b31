/** Enrollment tokens, agent enrollment and the device list (docs/broker.md "Enrolling agents"). Who may call each: http/routes.ts. */
import type { Endpoint } from '../http/endpoint.js';
import type { Principal } from '../auth/principal.js';
import type { AgentDevice } from '../auth/agent-signature.js';
import { appendAudit } from '../audit/log.js';
import { newId, newToken, tokenHash } from '../auth/secrets.js';
import { errorSchema, fail } from '../http/errors.js';
import { b64, fromB64, group, idParams, iso, object } from '../http/schemas.js';
import { verifyEnrollment } from '../../agent/enroll-proof.js';
import * as devices from './repository.js';
import { deviceAnswer } from '../../protocol/answers.js';
import { tpmCredentialAnswer, tpmEnrollSchema, type TpmEnroll } from '../../protocol/tpm.js';
import { bindTpm, checkTpmEnrollment, TpmEnrollRefused } from './tpm.js';

/** A device describes itself with a few short scalar fields. */
const description = {
  type: 'object',
  required: ['name'],
  maxProperties: 16,
  properties: { name: { type: 'string', minLength: 1, maxLength: 128 } },
  additionalProperties: { anyOf: [{ type: 'string', maxLength: 256 }, { type: 'number' }, { type: 'boolean' }] },
} as const;

export const createEnrollmentToken: Endpoint<Principal> = {
  schema: {
    body: object(
      {
        groups: { type: 'array', minItems: 1, maxItems: 32, uniqueItems: true, items: group },
        uses: { type: 'integer', minimum: 1, maximum: 100_000 },
        expiresInSeconds: { type: 'integer', minimum: 60, maximum: 30 * 86_400 },
      },
      ['groups'],
    ),
    response: {
      201: object({ tokenId: { type: 'string' }, token: { type: 'string' }, expiresAt: { type: 'string' } }),
      '4xx': errorSchema,
    },
  },
  async handle(ctx, req, reply, admin) {
    const body = req.body as { groups: string[]; uses?: number; expiresInSeconds?: number };
    const token = newToken('sce');
    const tokenId = newId('enr');
    const expiresAt = await ctx.db.tx(async (q) => {
      const expires = await devices.insertToken(q, {
        tenantId: admin.tenantId,
        id: tokenId,
        tokenHash: tokenHash(token),
        groups: body.groups,
        uses: body.uses ?? 1,
        seconds: body.expiresInSeconds ?? 3600,
        createdBy: admin.userId,
      });
      await appendAudit(q, admin.tenantId, {
        actor: admin.userId,
        action: 'enroll-token.create',
        target: tokenId,
        outcome: 'success',
        reasons: { groups: body.groups, uses: body.uses ?? 1 },
        sourceIp: req.ip,
      });
      return iso(expires);
    });
    return reply.status(201).send({ tokenId, token, expiresAt });
  },
};

export const enroll: Endpoint<undefined> = {
  schema: {
    body: object(
      {
        token: { type: 'string', minLength: 16, maxLength: 128 },
        publicKey: b64(44, 44),
        proof: b64(88, 88),
        device: description,
        // Groups the agent expects the token to grant (`agent enroll --group`): a check, never a grant.
        expectGroups: { type: 'array', minItems: 1, maxItems: 32, uniqueItems: true, items: group },
        // `agent enroll --tpm`: the EK certificate, EK and AK (devices/tpm.ts).
        tpm: tpmEnrollSchema,
      },
      ['token', 'publicKey', 'proof', 'device'],
    ),
    response: {
      201: object({
        deviceId: { type: 'string' },
        tenantId: { type: 'string' },
        groups: { type: 'array', items: { type: 'string' } },
        tpm: tpmCredentialAnswer,
      }),
      '4xx': errorSchema,
    },
  },
  async handle(ctx, req, reply) {
    const body = req.body as {
      token: string;
      publicKey: string;
      proof: string;
      device: { name: string } & Record<string, unknown>;
      expectGroups?: string[];
      tpm?: TpmEnroll;
    };
    const publicKey = fromB64(body.publicKey);
    if (publicKey.length !== 32) fail('ERR_ARGUMENT', 'publicKey is a 32-byte Ed25519 key');
    if (!verifyEnrollment(body.token, publicKey, fromB64(body.proof)))
      fail('ERR_UNAUTHENTICATED', 'the proof of possession does not verify');
    const deviceId = newId('dev');
    const result = await ctx.db
      .tx(async (q) => {
        // Spending a use and enrolling are one transaction: a token of N uses enrolls N devices.
        const tok = await devices.spendToken(q, tokenHash(body.token));
        if (!tok) {
          const r = await devices.spentToken(q, tokenHash(body.token));
          return {
            refused: r ? { tenantId: r.tenant_id, tokenId: r.id, why: r.expired ? ('expired' as const) : ('used up' as const) } : null,
          };
        }
        const { tenant_id: tenantId, groups, id: tokenId } = tok;
        // The groups come from the token only; a group the agent expected and the token lacks
        // undoes the whole enrollment (the use is not spent, no device is made).
        const missing = (body.expectGroups ?? []).filter((g) => !groups.includes(g));
        if (missing.length)
          fail(
            'ERR_FORBIDDEN',
            `this enrollment token does not grant the group${missing.length > 1 ? 's' : ''} ${missing.join(', ')} (it grants ${groups.join(', ')})`,
          );
        // Within the token's tenant only: whether another tenant holds the key is not the caller's to learn.
        if (await devices.keyEnrolled(q, tenantId, publicKey)) fail('ERR_CONFLICT', 'this public key is already enrolled in this tenant');
        // A refused TPM undoes the whole enrollment too (TpmEnrollRefused, recorded below).
        const tpm = body.tpm ? await checkTpmEnrollment(q, tenantId, body.tpm, ctx.now()) : undefined;
        await devices.insertDevice(q, tenantId, deviceId, body.device.name, publicKey, groups, body.device);
        const credential = tpm ? await bindTpm(q, tenantId, deviceId, tpm) : undefined;
        await appendAudit(q, tenantId, {
          actor: deviceId,
          action: 'agent.enroll',
          target: deviceId,
          outcome: 'success',
          reasons: {
            tokenId,
            groups,
            ...(tpm ? { tpm: { issuer: tpm.issuer, ek: Buffer.from(tpm.ekHash).toString('hex'), activated: false } } : {}),
          },
          sourceIp: req.ip,
        });
        return { enrolled: { deviceId, tenantId, groups, ...(credential ? { tpm: credential } : {}) } };
      })
      .catch(async (err: unknown) => {
        if (!(err instanceof TpmEnrollRefused)) throw err;
        await ctx.db.tx((q) =>
          appendAudit(q, err.tenantId, {
            actor: 'broker',
            action: 'agent.enroll',
            target: deviceId,
            outcome: 'failure',
            reasons: { code: err.code, why: err.reason },
            sourceIp: req.ip,
          }),
        );
        throw err;
      });
    if ('enrolled' in result) return reply.status(201).send(result.enrolled);
    // A token of a known tenant that is used up or expired: the attempt is an agent event.
    const spent = result.refused;
    if (spent) {
      await ctx.db.tx((q) =>
        appendAudit(q, spent.tenantId, {
          actor: 'broker',
          action: 'agent.enroll',
          target: spent.tokenId,
          outcome: 'failure',
          reasons: { code: 'ERR_UNAUTHENTICATED', why: spent.why },
          sourceIp: req.ip,
        }),
      );
    }
    fail('ERR_UNAUTHENTICATED', 'unknown, used up or expired enrollment token');
  },
};

export const listDevices: Endpoint<Principal> = {
  schema: { response: { 200: object({ devices: { type: 'array', items: deviceAnswer } }), '4xx': errorSchema } },
  async handle(ctx, _req, _reply, who) {
    const rows = await devices.listDevices(ctx.db, who.tenantId);
    return {
      devices: rows.map((r) => ({
        deviceId: r.id,
        name: r.name,
        groups: r.groups,
        enrolledAt: iso(r.enrolled_at),
        revokedAt: r.revoked_at ? iso(r.revoked_at) : null,
        ...(r.tpm
          ? {
              tpm: {
                activatedAt: r.tpm_activated_at ? iso(r.tpm_activated_at) : null,
                verifiedAt: r.tpm_verified_at ? iso(r.tpm_verified_at) : null,
              },
            }
          : {}),
      })),
    };
  },
};

export const revokeDevice: Endpoint<Principal> = {
  schema: { params: idParams, response: { 200: deviceAnswer, '4xx': errorSchema } },
  async handle(ctx, req, _reply, admin) {
    const { id } = req.params as { id: string };
    return ctx.db.tx(async (q) => {
      const r = await devices.revokeDevice(q, admin.tenantId, id);
      if (!r) fail('ERR_NOT_FOUND', 'no such device');
      await appendAudit(q, admin.tenantId, {
        actor: admin.userId,
        action: 'device.revoke',
        target: id,
        outcome: 'success',
        sourceIp: req.ip,
      });
      return { deviceId: r.id, name: r.name, groups: r.groups, enrolledAt: iso(r.enrolled_at), revokedAt: iso(r.revoked_at) };
    });
  },
};

const revoked = object({ deviceId: { type: 'string' }, revokedAt: { type: 'string' } }, ['deviceId', 'revokedAt']);

/** An agent undoes an enrollment whose state it could not write: it revokes itself, with a record. */
export const agentRevoke: Endpoint<AgentDevice> = {
  schema: { response: { 200: revoked, '4xx': errorSchema } },
  async handle(ctx, req, _reply, device) {
    return ctx.db.tx(async (q) => {
      const r = await devices.revokeDevice(q, device.tenantId, device.deviceId);
      await appendAudit(q, device.tenantId, {
        actor: device.deviceId,
        action: 'device.revoke',
        target: device.deviceId,
        outcome: 'success',
        reasons: { by: 'the device itself' },
        sourceIp: req.ip,
      });
      return { deviceId: device.deviceId, revokedAt: iso(r!.revoked_at) };
    });
  },
};
