/**
 * The enrollment tokens an admin made (routes.ts makes them): listed without the
 * token or its hash, and revoked before they are used up. A revoked token has no use left,
 * so enrollment refuses it as it refuses a spent one.
 */
import type { Endpoint } from '../http/endpoint.js';
import type { Principal } from '../auth/principal.js';
import { appendAudit } from '../audit/log.js';
import { errorSchema, fail } from '../http/errors.js';
import { idParams, iso, object } from '../http/schemas.js';
import * as devices from './repository.js';
import type { EnrollmentTokenRow } from './repository.js';

const tokenAnswer = object({
  tokenId: { type: 'string' },
  groups: { type: 'array', items: { type: 'string' } },
  usesLeft: { type: 'integer' },
  createdBy: { type: 'string' },
  createdAt: { type: 'string' },
  expiresAt: { type: 'string' },
  revokedAt: { type: 'string' },
  state: { enum: ['usable', 'used up', 'expired', 'revoked'] },
});

function toAnswer(r: EnrollmentTokenRow, now: Date) {
  const state = r.revoked_at ? 'revoked' : new Date(r.expires_at) <= now ? 'expired' : r.uses_left === 0 ? 'used up' : 'usable';
  return {
    tokenId: r.id,
    groups: r.groups,
    usesLeft: r.uses_left,
    createdBy: r.created_by,
    createdAt: iso(r.created_at),
    expiresAt: iso(r.expires_at),
    ...(r.revoked_at ? { revokedAt: iso(r.revoked_at) } : {}),
    state,
  };
}

export const listEnrollmentTokens: Endpoint<Principal> = {
  schema: {
    querystring: object({ all: { enum: ['true', 'false'] } }),
    response: { 200: object({ tokens: { type: 'array', items: tokenAnswer } }), '4xx': errorSchema },
  },
  async handle(ctx, req, _reply, admin) {
    const rows = await devices.listTokens(ctx.db, admin.tenantId, (req.query as { all?: string }).all === 'true');
    const now = ctx.now();
    return { tokens: rows.map((r) => toAnswer(r, now)) };
  },
};

export const revokeEnrollmentToken: Endpoint<Principal> = {
  schema: { params: idParams, response: { 200: tokenAnswer, '4xx': errorSchema } },
  async handle(ctx, req, _reply, admin) {
    const { id } = req.params as { id: string };
    return ctx.db.tx(async (q) => {
      const row = await devices.revokeToken(q, admin.tenantId, id);
      if (!row) fail('ERR_NOT_FOUND', 'no such enrollment token');
      await appendAudit(q, admin.tenantId, {
        actor: admin.userId,
        action: 'enroll-token.revoke',
        target: id,
        outcome: 'success',
        sourceIp: req.ip,
      });
      return toAnswer(row, ctx.now());
    });
  },
};
