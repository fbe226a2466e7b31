/**
 * The enrollment tokens an admin made (routes.ts makes them): listed without the
 * token or its hash, and revoked before they are used up. A revoked token has no use left,
 * so enrollment refuses it as it refuses a spent one.
 */
import type { FastifyInstance } from 'fastify';
import type { BrokerContext } from '../context.js';
import { requireRole } from '../auth/authenticate.js';
import { appendAudit } from '../audit/log.js';
import { errorSchema, fail } from '../http/errors.js';
import { idParams, iso, object } from '../http/schemas.js';

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

interface Row {
  id: string;
  groups: string[];
  uses_left: number;
  created_by: string;
  created_at: string;
  expires_at: string;
  revoked_at: string | null;
}

function toAnswer(r: Row, now: Date) {
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

export function enrollmentTokenRoutes(app: FastifyInstance, ctx: BrokerContext): void {
  app.get(
    '/v1/enrollment-tokens',
    {
      schema: {
        querystring: object({ all: { enum: ['true', 'false'] } }),
        response: { 200: object({ tokens: { type: 'array', items: tokenAnswer } }), '4xx': errorSchema },
      },
    },
    async (req) => {
      const admin = await requireRole(ctx.db, req, 'admin');
      const all = (req.query as { all?: string }).all === 'true';
      const rows = await ctx.db.query<Row>(
        `SELECT id, groups, uses_left, created_by, created_at, expires_at, revoked_at FROM enrollment_tokens
          WHERE tenant_id = $1 AND ($2 OR (revoked_at IS NULL AND uses_left > 0 AND expires_at > now()))
          ORDER BY created_at DESC, id LIMIT 1000`,
        [admin.tenantId, all],
      );
      const now = ctx.now();
      return { tokens: rows.map((r) => toAnswer(r, now)) };
    },
  );

  app.post('/v1/enrollment-tokens/:id/revoke', { schema: { params: idParams, response: { 200: tokenAnswer, '4xx': errorSchema } } }, async (req) => {
    const admin = await requireRole(ctx.db, req, 'admin');
    const { id } = req.params as { id: string };
    return ctx.db.tx(async (q) => {
      const rows = await q.query<Row>(
        `UPDATE enrollment_tokens SET uses_left = 0, revoked_at = coalesce(revoked_at, now()) WHERE tenant_id = $1 AND id = $2
         RETURNING id, groups, uses_left, created_by, created_at, expires_at, revoked_at`,
        [admin.tenantId, id],
      );
      if (!rows[0]) fail('ERR_NOT_FOUND', 'no such enrollment token');
      await appendAudit(q, admin.tenantId, { actor: admin.userId, action: 'enroll-token.revoke', target: id, outcome: 'success', sourceIp: req.ip });
      return toAnswer(rows[0], ctx.now());
    });
  });
}
