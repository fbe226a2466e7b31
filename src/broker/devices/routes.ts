/** Enrollment tokens, agent enrollment and the device list (docs/broker.md "Enrolling agents"). */
import type { FastifyInstance } from 'fastify';
import type { BrokerContext } from '../context.js';
import { requireRole } from '../auth/authenticate.js';
import { appendAudit } from '../audit/log.js';
import type { Sql } from '../store/types.js';
import { newId, newToken, tokenHash } from '../auth/secrets.js';
import { errorSchema, fail } from '../http/errors.js';
import { b64, fromB64, group, idParams, iso, object } from '../http/schemas.js';
import { verifyEnrollment } from '../../agent/enroll-proof.js';

const deviceAnswer = object({
  deviceId: { type: 'string' },
  name: { type: 'string' },
  groups: { type: 'array', items: { type: 'string' } },
  enrolledAt: { type: 'string' },
  revokedAt: { type: ['string', 'null'] },
});

/** A device describes itself with a few short scalar fields. */
const description = {
  type: 'object',
  required: ['name'],
  maxProperties: 16,
  properties: { name: { type: 'string', minLength: 1, maxLength: 128 } },
  additionalProperties: { anyOf: [{ type: 'string', maxLength: 256 }, { type: 'number' }, { type: 'boolean' }] },
} as const;

/** The tenant and id of an enrollment token that exists but can enroll no more, or null. */
async function spentToken(q: Sql, token: string): Promise<{ tenantId: string; tokenId: string; why: 'used up' | 'expired' } | null> {
  const rows = await q.query<{ tenant_id: string; id: string; expired: boolean }>('SELECT tenant_id, id, expires_at <= now() AS expired FROM enrollment_tokens WHERE token_hash = $1', [tokenHash(token)]);
  const r = rows[0];
  return r ? { tenantId: r.tenant_id, tokenId: r.id, why: r.expired ? 'expired' : 'used up' } : null;
}

export function enrollmentRoutes(app: FastifyInstance, ctx: BrokerContext): void {
  app.post(
    '/v1/enrollment-tokens',
    {
      schema: {
        body: object(
          {
            groups: { type: 'array', minItems: 1, maxItems: 32, uniqueItems: true, items: group },
            uses: { type: 'integer', minimum: 1, maximum: 100_000 },
            expiresInSeconds: { type: 'integer', minimum: 60, maximum: 30 * 86_400 },
          },
          ['groups'],
        ),
        response: { 201: object({ tokenId: { type: 'string' }, token: { type: 'string' }, expiresAt: { type: 'string' } }), '4xx': errorSchema },
      },
    },
    async (req, reply) => {
      const admin = await requireRole(ctx.db, req, 'admin');
      const body = req.body as { groups: string[]; uses?: number; expiresInSeconds?: number };
      const token = newToken('sce');
      const tokenId = newId('enr');
      const expiresAt = await ctx.db.tx(async (q) => {
        const rows = await q.query<{ expires_at: string }>(
          `INSERT INTO enrollment_tokens (tenant_id, id, token_hash, groups, uses_left, expires_at, created_by)
           VALUES ($1, $2, $3, $4, $5, now() + make_interval(secs => $6), $7) RETURNING expires_at`,
          [admin.tenantId, tokenId, tokenHash(token), body.groups, body.uses ?? 1, body.expiresInSeconds ?? 3600, admin.userId],
        );
        await appendAudit(q, admin.tenantId, { actor: admin.userId, action: 'enroll-token.create', target: tokenId, outcome: 'success', reasons: { groups: body.groups, uses: body.uses ?? 1 }, sourceIp: req.ip });
        return iso(rows[0]!.expires_at);
      });
      return reply.status(201).send({ tokenId, token, expiresAt });
    },
  );

  app.post(
    '/v1/agent/enroll',
    {
      schema: {
        body: object(
          {
            token: { type: 'string', minLength: 16, maxLength: 128 },
            publicKey: b64(44, 44),
            proof: b64(88, 88),
            device: description,
            // Groups the agent expects the token to grant (`agent enroll --group`): a check, never a grant.
            expectGroups: { type: 'array', minItems: 1, maxItems: 32, uniqueItems: true, items: group },
          },
          ['token', 'publicKey', 'proof', 'device'],
        ),
        response: { 201: object({ deviceId: { type: 'string' }, tenantId: { type: 'string' }, groups: { type: 'array', items: { type: 'string' } } }), '4xx': errorSchema },
      },
    },
    async (req, reply) => {
      const body = req.body as { token: string; publicKey: string; proof: string; device: { name: string } & Record<string, unknown>; expectGroups?: string[] };
      const publicKey = fromB64(body.publicKey);
      if (publicKey.length !== 32) fail('ERR_ARGUMENT', 'publicKey is a 32-byte Ed25519 key');
      if (!verifyEnrollment(body.token, publicKey, fromB64(body.proof))) fail('ERR_UNAUTHENTICATED', 'the proof of possession does not verify');
      const deviceId = newId('dev');
      const result = await ctx.db.tx(async (q) => {
        // Spending a use and enrolling are one transaction: a token of N uses enrolls N devices.
        const tok = await q.query<{ tenant_id: string; id: string; groups: string[] }>(
          `UPDATE enrollment_tokens SET uses_left = uses_left - 1
            WHERE token_hash = $1 AND uses_left > 0 AND expires_at > now() RETURNING tenant_id, id, groups`,
          [tokenHash(body.token)],
        );
        if (!tok.length) return { refused: await spentToken(q, body.token) };
        const { tenant_id: tenantId, groups, id: tokenId } = tok[0]!;
        // The groups come from the token only; a group the agent expected and the token lacks
        // undoes the whole enrollment (the use is not spent, no device is made).
        const missing = (body.expectGroups ?? []).filter((g) => !groups.includes(g));
        if (missing.length) fail('ERR_FORBIDDEN', `this enrollment token does not grant the group${missing.length > 1 ? 's' : ''} ${missing.join(', ')} (it grants ${groups.join(', ')})`);
        // Within the token's tenant only: whether another tenant holds the key is not the caller's to learn.
        const dup = await q.query('SELECT 1 FROM devices WHERE tenant_id = $1 AND public_key = $2', [tenantId, publicKey]);
        if (dup.length) fail('ERR_CONFLICT', 'this public key is already enrolled in this tenant');
        await q.query('INSERT INTO devices (tenant_id, id, name, public_key, groups, description) VALUES ($1, $2, $3, $4, $5, $6)', [
          tenantId,
          deviceId,
          body.device.name,
          publicKey,
          groups,
          JSON.stringify(body.device),
        ]);
        await appendAudit(q, tenantId, { actor: deviceId, action: 'agent.enroll', target: deviceId, outcome: 'success', reasons: { tokenId, groups }, sourceIp: req.ip });
        return { enrolled: { deviceId, tenantId, groups } };
      });
      if ('enrolled' in result) return reply.status(201).send(result.enrolled);
      // A token of a known tenant that is used up or expired: the attempt is an agent event.
      const spent = result.refused;
      if (spent) {
        await ctx.db.tx((q) =>
          appendAudit(q, spent.tenantId, { actor: 'broker', action: 'agent.enroll', target: spent.tokenId, outcome: 'failure', reasons: { code: 'ERR_UNAUTHENTICATED', why: spent.why }, sourceIp: req.ip }),
        );
      }
      fail('ERR_UNAUTHENTICATED', 'unknown, used up or expired enrollment token');
    },
  );

  app.get('/v1/devices', { schema: { response: { 200: object({ devices: { type: 'array', items: deviceAnswer } }), '4xx': errorSchema } } }, async (req) => {
    const who = await requireRole(ctx.db, req, 'admin', 'approver');
    const rows = await ctx.db.query<Record<string, unknown>>('SELECT id, name, groups, enrolled_at, revoked_at FROM devices WHERE tenant_id = $1 ORDER BY enrolled_at, id', [who.tenantId]);
    return {
      devices: rows.map((r) => ({ deviceId: r.id, name: r.name, groups: r.groups, enrolledAt: iso(r.enrolled_at), revokedAt: r.revoked_at ? iso(r.revoked_at) : null })),
    };
  });

  app.post('/v1/devices/:id/revoke', { schema: { params: idParams, response: { 200: deviceAnswer, '4xx': errorSchema } } }, async (req) => {
    const admin = await requireRole(ctx.db, req, 'admin');
    const { id } = req.params as { id: string };
    return ctx.db.tx(async (q) => {
      const rows = await q.query<Record<string, unknown>>(
        'UPDATE devices SET revoked_at = coalesce(revoked_at, now()) WHERE tenant_id = $1 AND id = $2 RETURNING id, name, groups, enrolled_at, revoked_at',
        [admin.tenantId, id],
      );
      const r = rows[0];
      if (!r) fail('ERR_NOT_FOUND', 'no such device');
      await appendAudit(q, admin.tenantId, { actor: admin.userId, action: 'device.revoke', target: id, outcome: 'success', sourceIp: req.ip });
      return { deviceId: r.id, name: r.name, groups: r.groups, enrolledAt: iso(r.enrolled_at), revokedAt: iso(r.revoked_at) };
    });
  });
}
