/** Health, and the plain audit export (the Merkle proofs come with the audit issue). */
import type { FastifyInstance } from 'fastify';
import type { BrokerContext } from '../context.js';
import { requireRole } from '../auth.js';
import { readAudit } from '../store/audit.js';
import { errorSchema } from '../http-errors.js';
import { digits, num, object } from '../schemas.js';

const record = object({
  seq: { type: 'integer' },
  time: { type: 'string' },
  actor: { type: 'string' },
  action: { type: 'string' },
  target: { type: ['string', 'null'] },
  outcome: { type: 'string' },
  reasons: {},
  requestId: { type: ['string', 'null'] },
  sourceIp: { type: ['string', 'null'] },
});

export function miscRoutes(app: FastifyInstance, ctx: BrokerContext): void {
  app.get('/v1/health', { schema: { response: { 200: object({ status: { type: 'string' }, store: { type: 'string' } }) } } }, async () => {
    await ctx.db.query('SELECT 1');
    return { status: 'ok', store: ctx.db.kind };
  });

  app.get(
    '/v1/audit',
    {
      schema: {
        querystring: object({ after: digits, limit: digits }),
        response: { 200: object({ records: { type: 'array', items: record } }), '4xx': errorSchema },
      },
    },
    async (req) => {
      const who = await requireRole(ctx.db, req, 'auditor', 'operator');
      const { after, limit } = req.query as { after?: string; limit?: string };
      return { records: await readAudit(ctx.db, who.tenantId, num(after) ?? 0, Math.min(Math.max(num(limit) ?? 100, 1), 1000)) };
    },
  );
}
