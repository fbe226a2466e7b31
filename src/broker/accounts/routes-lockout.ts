/**
 * Locking a user out (docs/broker.md "Tenants, users and tokens"): an admin disables a user
 * (every token, session and invitation stops at once), lists and revokes its tokens, and
 * gives it a new invitation. Disabling an admin and inviting an admin or approver again wait
 * for a second admin once the tenant enforces two-person rules (separation/service.ts).
 */
import type { FastifyInstance } from 'fastify';
import type { BrokerContext } from '../context.js';
import { requireRole } from '../auth/authenticate.js';
import { errorSchema, fail } from '../http/errors.js';
import { appendAudit } from '../audit/log.js';
import { DEFAULT_TOKEN_SECONDS, idParams, invitationSchema, iso, object, pendingActionSchema, tokenLife } from '../http/schemas.js';
import { requestAction, twoPersonEnforced } from '../separation/service.js';
import { createInvitation, disableUser, keepAnAdmin, lockUser, revokeCredentials } from './service.js';

const tokenRow = object({ tokenId: { type: 'string' }, createdAt: { type: 'string' }, expiresAt: { type: 'string' }, revokedAt: { type: 'string' } });

export function userRoutes(app: FastifyInstance, ctx: BrokerContext): void {
  app.post(
    '/v1/users/:id/disable',
    { schema: { params: idParams, response: { 200: object({ userId: { type: 'string' }, disabled: { type: 'boolean' } }), 202: pendingActionSchema, '4xx': errorSchema } } },
    async (req, reply) => {
      const admin = await requireRole(ctx.db, req, 'admin');
      const { id: userId } = req.params as { id: string };
      const answer = await ctx.db.tx(async (q) => {
        const user = await lockUser(q, admin.tenantId, userId);
        if (user.roles.includes('admin')) {
          await keepAnAdmin(q, admin.tenantId, userId);
          // One admin must not remove the other and then act alone.
          if (await twoPersonEnforced(q, admin.tenantId)) {
            return { pending: await requestAction(q, admin, { kind: 'user.disable', target: userId, reason: 'disabling an admin' }, req.ip) };
          }
        }
        await disableUser(q, { tenantId: admin.tenantId, userId: admin.userId, sourceIp: req.ip }, userId);
        return { done: { userId, disabled: true } };
      });
      if ('pending' in answer) return reply.status(202).send(answer.pending);
      return answer.done;
    },
  );

  app.get(
    '/v1/users/:id/tokens',
    { schema: { params: idParams, response: { 200: object({ userId: { type: 'string' }, tokens: { type: 'array', items: tokenRow } }), '4xx': errorSchema } } },
    async (req) => {
      const admin = await requireRole(ctx.db, req, 'admin');
      const { id: userId } = req.params as { id: string };
      const found = await ctx.db.query('SELECT 1 FROM users WHERE tenant_id = $1 AND id = $2', [admin.tenantId, userId]);
      if (!found.length) fail('ERR_NOT_FOUND', 'no such user');
      const rows = await ctx.db.query<{ id: string; created_at: string; expires_at: string; revoked_at: string | null }>(
        'SELECT id, created_at, expires_at, revoked_at FROM api_tokens WHERE tenant_id = $1 AND user_id = $2 ORDER BY created_at DESC, id LIMIT 1000',
        [admin.tenantId, userId],
      );
      return {
        userId,
        tokens: rows.map((r) => ({ tokenId: r.id, createdAt: iso(r.created_at), expiresAt: iso(r.expires_at), ...(r.revoked_at ? { revokedAt: iso(r.revoked_at) } : {}) })),
      };
    },
  );

  app.post(
    '/v1/users/:id/tokens/revoke',
    { schema: { params: idParams, response: { 200: object({ userId: { type: 'string' }, revoked: { type: 'integer' } }), '4xx': errorSchema } } },
    async (req) => {
      const admin = await requireRole(ctx.db, req, 'admin');
      const { id: userId } = req.params as { id: string };
      return ctx.db.tx(async (q) => {
        await lockUser(q, admin.tenantId, userId);
        const { tokens } = await revokeCredentials(q, admin.tenantId, userId);
        await appendAudit(q, admin.tenantId, { actor: admin.userId, action: 'user.tokens.revoke', target: userId, outcome: 'success', reasons: { tokensRevoked: tokens }, sourceIp: req.ip });
        return { userId, revoked: tokens };
      });
    },
  );

  // A lost token: a new invitation, and every credential the user had stops (so a user whose
  // invitation someone else redeemed finds out). For an admin or approver it is a new
  // credential for a privileged role, so it waits for a second admin like a grant.
  app.post(
    '/v1/users/:id/invitation',
    {
      schema: {
        params: idParams,
        body: { anyOf: [object({ expiresInSeconds: tokenLife }), { type: 'null' }] },
        response: { 201: object({ userId: { type: 'string' }, invitation: invitationSchema }), 202: pendingActionSchema, '4xx': errorSchema },
      },
    },
    async (req, reply) => {
      const admin = await requireRole(ctx.db, req, 'admin');
      const { id: userId } = req.params as { id: string };
      const tokenSeconds = (req.body as { expiresInSeconds?: number } | null)?.expiresInSeconds ?? DEFAULT_TOKEN_SECONDS;
      const answer = await ctx.db.tx(async (q) => {
        const user = await lockUser(q, admin.tenantId, userId);
        if ((user.roles.includes('admin') || user.roles.includes('approver')) && (await twoPersonEnforced(q, admin.tenantId))) {
          return { pending: await requestAction(q, admin, { kind: 'user.invite', target: userId, payload: { tokenSeconds }, reason: `a new credential for ${user.roles.join(' and ')}` }, req.ip) };
        }
        await revokeCredentials(q, admin.tenantId, userId);
        return { done: { userId, invitation: await createInvitation(q, { tenantId: admin.tenantId, userId: admin.userId, sourceIp: req.ip }, userId, tokenSeconds) } };
      });
      if ('pending' in answer) return reply.status(202).send(answer.pending);
      return reply.status(201).send(answer.done);
    },
  );
}
