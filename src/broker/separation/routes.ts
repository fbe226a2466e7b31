/**
 * Actions that take two admins (service.ts): the first asks (202 {actionId}), a second,
 * vouched admin confirms within 24 hours; the one who asked confirming is ERR_FORBIDDEN, and
 * so is an admin that one admin made alone. What each kind does once confirmed is the
 * APPLY table below.
 * - key.destroy (always two admins): every version's sealed secret key is erased.
 * - policy.update, policy.delete: a change that weakens a key's release (policy/weakens.ts);
 *   issuer.update: trusting an attestation issuer (its tokens then pass rules).
 * - user.roles, user.disable, user.invite: a grant of admin or approver, an admin leaving,
 *   a new invitation for an admin or approver.
 */
import type { FastifyInstance } from 'fastify';
import type { BrokerContext } from '../context.js';
import type { Principal } from '../auth/principal.js';
import { requireRole } from '../auth/authenticate.js';
import { appendAudit } from '../audit/log.js';
import type { Sql } from '../store/types.js';
import { errorSchema, fail } from '../http/errors.js';
import { idParams, invitationSchema, iso, object, pendingActionSchema } from '../http/schemas.js';
import { deletePolicy, saveIssuer, savePolicy, type IssuerDocument } from '../policy/repository.js';
import type { Policy } from '../policy/types.js';
import { checkConfirmer, requestAction, type ActionKind } from './service.js';
import { createInvitation, disableUser, grantedPrivileges, keepAnAdmin, lockUser, revokeCredentials, setRoles, type Actor, type Invitation } from '../accounts/service.js';
import { eraseKey } from '../keys/erase.js';

interface PendingRow {
  kind: ActionKind;
  target: string;
  requested_by: string;
  expires_at: string;
  confirmed_at: string | null;
  cancelled_at: string | null;
  payload: unknown;
}

type Apply = (q: Sql, ctx: BrokerContext, by: Actor & { actionId: string }, a: PendingRow) => Promise<{ invitation?: Invitation } | void>;

const APPLY: Record<ActionKind, Apply> = {
  'key.destroy': async (q, ctx, by, a) => {
    await eraseKey(q, ctx, by.tenantId, a.target);
    await appendAudit(q, by.tenantId, { actor: by.userId, action: 'key.destroy', target: a.target, outcome: 'success', reasons: { actionId: by.actionId, requestedBy: a.requested_by }, sourceIp: by.sourceIp });
  },
  'policy.update': async (q, _ctx, by, a) => {
    await savePolicy(q, by.tenantId, by.userId, a.payload as Policy, by.sourceIp, by.actionId);
  },
  'policy.delete': async (q, _ctx, by, a) => {
    await deletePolicy(q, by.tenantId, by.userId, a.target, by.sourceIp, by.actionId);
  },
  'issuer.update': async (q, _ctx, by, a) => {
    await saveIssuer(q, by.tenantId, by.userId, a.payload as IssuerDocument, by.sourceIp, by.actionId);
  },
  'user.roles': async (q, _ctx, by, a) => {
    const user = await lockUser(q, by.tenantId, a.target);
    const roles = (a.payload as { roles: string[] }).roles;
    if (user.roles.includes('admin') && !roles.includes('admin')) await keepAnAdmin(q, by.tenantId, a.target);
    // A grant confirmed by a second admin vouches for the user; a demotion keeps what was.
    await setRoles(q, by, a.target, roles, grantedPrivileges(user.roles, roles).length > 0 || user.vouched);
  },
  'user.disable': async (q, _ctx, by, a) => {
    await keepAnAdmin(q, by.tenantId, a.target);
    await disableUser(q, by, a.target);
  },
  'user.invite': async (q, _ctx, by, a) => {
    await lockUser(q, by.tenantId, a.target);
    await revokeCredentials(q, by.tenantId, a.target);
    return { invitation: await createInvitation(q, by, a.target, (a.payload as { tokenSeconds: number }).tokenSeconds) };
  },
};

const actionAnswer = object({
  actionId: { type: 'string' },
  kind: { type: 'string' },
  target: { type: 'string' },
  requestedBy: { type: 'string' },
  expiresAt: { type: 'string' },
  reason: { type: 'string' },
  // What will be written: the policy document, the roles.
  payload: {},
});

export function actionRoutes(app: FastifyInstance, ctx: BrokerContext): void {
  app.post('/v1/keys/:id/destroy', { schema: { params: idParams, response: { 202: pendingActionSchema, '4xx': errorSchema } } }, async (req, reply) => {
    const admin = await requireRole(ctx.db, req, 'admin');
    const { id } = req.params as { id: string };
    const pending = await ctx.db.tx(async (q) => {
      const keys = await q.query<{ destroyed_at: string | null }>('SELECT destroyed_at FROM broker_keys WHERE tenant_id = $1 AND id = $2', [admin.tenantId, id]);
      if (!keys.length) fail('ERR_NOT_FOUND', 'no such key');
      if (keys[0]!.destroyed_at) fail('ERR_CONFLICT', 'this key is already destroyed');
      return requestAction(q, admin, { kind: 'key.destroy', target: id, reason: 'destroying a key always takes two admins' }, req.ip);
    });
    return reply.status(202).send(pending);
  });

  // What waits for a second admin: the console lists it so that one can confirm it.
  app.get('/v1/actions', { schema: { response: { 200: object({ actions: { type: 'array', items: actionAnswer } }), '4xx': errorSchema } } }, async (req) => {
    const admin = await requireRole(ctx.db, req, 'admin');
    const rows = await ctx.db.query<{ id: string; kind: string; target: string; requested_by: string; expires_at: string; reason: string | null; payload: unknown }>(
      `SELECT id, kind, target, requested_by, expires_at, reason, payload FROM pending_actions
        WHERE tenant_id = $1 AND confirmed_at IS NULL AND cancelled_at IS NULL AND expires_at > $2 ORDER BY created_at DESC LIMIT 100`,
      [admin.tenantId, ctx.now()],
    );
    return {
      actions: rows.map((r) => ({
        actionId: r.id,
        kind: r.kind,
        target: r.target,
        requestedBy: r.requested_by,
        expiresAt: iso(r.expires_at),
        ...(r.reason ? { reason: r.reason } : {}),
        ...(r.payload !== null && r.payload !== undefined ? { payload: r.payload } : {}),
      })),
    };
  });

  const lockAction = async (q: Sql, admin: Principal, id: string): Promise<PendingRow> => {
    const rows = await q.query<PendingRow>(
      'SELECT kind, target, requested_by, expires_at, confirmed_at, cancelled_at, payload FROM pending_actions WHERE tenant_id = $1 AND id = $2 FOR UPDATE',
      [admin.tenantId, id],
    );
    const a = rows[0];
    if (!a) fail('ERR_NOT_FOUND', 'no such action');
    if (a.confirmed_at) fail('ERR_CONFLICT', 'this action was already confirmed');
    if (a.cancelled_at) fail('ERR_CONFLICT', 'this action was cancelled');
    if (new Date(a.expires_at) <= ctx.now()) fail('ERR_EXPIRED', 'this action expired');
    return a;
  };

  app.post(
    '/v1/actions/:id/confirm',
    {
      schema: {
        params: idParams,
        response: { 200: object({ actionId: { type: 'string' }, kind: { type: 'string' }, target: { type: 'string' }, status: { type: 'string' }, invitation: invitationSchema }), '4xx': errorSchema },
      },
    },
    async (req) => {
      const admin = await requireRole(ctx.db, req, 'admin');
      const { id } = req.params as { id: string };
      return ctx.db.tx(async (q) => {
        const a = await lockAction(q, admin, id);
        const refused = await checkConfirmer(q, admin, a.requested_by);
        if (refused) fail('ERR_FORBIDDEN', refused);
        await q.query('UPDATE pending_actions SET confirmed_by = $2, confirmed_at = now() WHERE id = $1', [id, admin.userId]);
        const done = await APPLY[a.kind](q, ctx, { tenantId: admin.tenantId, userId: admin.userId, sourceIp: req.ip, actionId: id }, a);
        return { actionId: id, kind: a.kind, target: a.target, status: 'done', ...(done?.invitation ? { invitation: done.invitation } : {}) };
      });
    },
  );

  // Any admin may call off a change that waits: cancelling weakens nothing.
  app.post(
    '/v1/actions/:id/cancel',
    { schema: { params: idParams, response: { 200: object({ actionId: { type: 'string' }, status: { type: 'string' } }), '4xx': errorSchema } } },
    async (req) => {
      const admin = await requireRole(ctx.db, req, 'admin');
      const { id } = req.params as { id: string };
      return ctx.db.tx(async (q) => {
        const a = await lockAction(q, admin, id);
        await q.query('UPDATE pending_actions SET cancelled_at = now() WHERE id = $1', [id]);
        await appendAudit(q, admin.tenantId, { actor: admin.userId, action: `${a.kind}.cancel`, target: a.target, outcome: 'success', reasons: { actionId: id }, sourceIp: req.ip });
        return { actionId: id, status: 'cancelled' };
      });
    },
  );
}
