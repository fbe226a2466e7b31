/** Health (the audit log's endpoints are in audit.ts). */
import type { FastifyInstance } from 'fastify';
import type { BrokerContext } from '../context.js';
import { object } from '../schemas.js';

export function miscRoutes(app: FastifyInstance, ctx: BrokerContext): void {
  app.get('/v1/health', { schema: { response: { 200: object({ status: { type: 'string' }, store: { type: 'string' } }) } } }, async () => {
    await ctx.db.query('SELECT 1');
    return { status: 'ok', store: ctx.db.kind };
  });
}
