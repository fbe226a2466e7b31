/**
 * Actions that take two admins (CUSTODY.md separation of duties): the first asks (202
 * {actionId}), a second, different admin confirms within 24 hours; the first one confirming
 * is ERR_FORBIDDEN.
 * - key.destroy: every version's sealed secret key is overwritten (crypto-erase: whatever
 *   was sealed only to this key is gone for good).
 * - policy.update that lowers a policy's approvers (policies.ts): the stored document is
 *   written as the first admin gave it.
 */
import type { FastifyInstance } from 'fastify';
import type { BrokerContext } from '../context.js';
import { requireRole } from '../auth.js';
import { appendAudit } from '../store/audit.js';
import { newId } from '../secrets.js';
import { errorSchema, fail } from '../http-errors.js';
import { idParams, iso, object } from '../schemas.js';
import { savePolicy } from './policies.js';
import { eraseKeySecrets } from '../key-erase.js';
import type { Policy } from '../policy/types.js';

export const ACTION_SECONDS = 24 * 3600;

export function actionRoutes(app: FastifyInstance, ctx: BrokerContext): void {
  app.post(
    '/v1/keys/:id/destroy',
    { schema: { params: idParams, response: { 202: object({ actionId: { type: 'string' }, expiresAt: { type: 'string' } }), '4xx': errorSchema } } },
    async (req, reply) => {
      const admin = await requireRole(ctx.db, req, 'admin');
      const { id } = req.params as { id: string };
      const actionId = newId('act');
      const expiresAt = await ctx.db.tx(async (q) => {
        const keys = await q.query<{ destroyed_at: string | null }>('SELECT destroyed_at FROM broker_keys WHERE tenant_id = $1 AND id = $2', [admin.tenantId, id]);
        if (!keys.length) fail('ERR_NOT_FOUND', 'no such key');
        if (keys[0]!.destroyed_at) fail('ERR_CONFLICT', 'this key is already destroyed');
        const rows = await q.query<{ expires_at: string }>(
          `INSERT INTO pending_actions (tenant_id, id, kind, target, requested_by, expires_at)
           VALUES ($1, $2, 'key.destroy', $3, $4, now() + make_interval(secs => $5)) RETURNING expires_at`,
          [admin.tenantId, actionId, id, admin.userId, ACTION_SECONDS],
        );
        await appendAudit(q, admin.tenantId, { actor: admin.userId, action: 'key.destroy.request', target: id, outcome: 'pending', reasons: { actionId }, sourceIp: req.ip });
        return iso(rows[0]!.expires_at);
      });
      return reply.status(202).send({ actionId, expiresAt });
    },
  );

  // What waits for a second admin: the console lists it so that one can confirm it.
  const actionAnswer = object({ actionId: { type: 'string' }, kind: { type: 'string' }, target: { type: 'string' }, requestedBy: { type: 'string' }, expiresAt: { type: 'string' } });
  app.get('/v1/actions', { schema: { response: { 200: object({ actions: { type: 'array', items: actionAnswer } }), '4xx': errorSchema } } }, async (req) => {
    const admin = await requireRole(ctx.db, req, 'admin');
    const rows = await ctx.db.query<{ id: string; kind: string; target: string; requested_by: string; expires_at: string }>(
      `SELECT id, kind, target, requested_by, expires_at FROM pending_actions
        WHERE tenant_id = $1 AND confirmed_at IS NULL AND expires_at > $2 ORDER BY created_at DESC LIMIT 100`,
      [admin.tenantId, ctx.now()],
    );
    return { actions: rows.map((r) => ({ actionId: r.id, kind: r.kind, target: r.target, requestedBy: r.requested_by, expiresAt: iso(r.expires_at) })) };
  });

  app.post(
    '/v1/actions/:id/confirm',
    { schema: { params: idParams, response: { 200: object({ actionId: { type: 'string' }, kind: { type: 'string' }, target: { type: 'string' }, status: { type: 'string' } }), '4xx': errorSchema } } },
    async (req) => {
      const admin = await requireRole(ctx.db, req, 'admin');
      const { id } = req.params as { id: string };
      return ctx.db.tx(async (q) => {
        const rows = await q.query<{ kind: string; target: string; requested_by: string; expires_at: string; confirmed_at: string | null; payload: unknown }>(
          'SELECT kind, target, requested_by, expires_at, confirmed_at, payload FROM pending_actions WHERE tenant_id = $1 AND id = $2 FOR UPDATE',
          [admin.tenantId, id],
        );
        const a = rows[0];
        if (!a) fail('ERR_NOT_FOUND', 'no such action');
        if (a.confirmed_at) fail('ERR_CONFLICT', 'this action was already confirmed');
        if (a.requested_by === admin.userId) fail('ERR_FORBIDDEN', 'a second admin must confirm this action');
        if (new Date(a.expires_at) <= ctx.now()) fail('ERR_EXPIRED', 'this action expired');
        await q.query('UPDATE pending_actions SET confirmed_by = $2, confirmed_at = now() WHERE id = $1', [id, admin.userId]);
        if (a.kind === 'policy.update') {
          await savePolicy(q, admin.tenantId, admin.userId, a.payload as Policy, req.ip, id);
          return { actionId: id, kind: a.kind, target: a.target, status: 'done' };
        }
        // Crypto-erase: the sealed secret keys go; the public keys stay for the record.
        await eraseKeySecrets(q, ctx.db, admin.tenantId, a.target);
        await q.query('UPDATE broker_keys SET destroyed_at = now() WHERE tenant_id = $1 AND id = $2', [admin.tenantId, a.target]);
        await appendAudit(q, admin.tenantId, { actor: admin.userId, action: 'key.destroy', target: a.target, outcome: 'success', reasons: { actionId: id, requestedBy: a.requested_by }, sourceIp: req.ip });
        ctx.versionKeys.forget(admin.tenantId, a.target);
        return { actionId: id, kind: a.kind, target: a.target, status: 'done' };
      });
    },
  );
}
