/**
 * Actions that take two admins (service.ts): the first asks (202 {actionId}), a second,
 * vouched admin confirms within 24 hours; the one who asked confirming is ERR_FORBIDDEN, and
 * so is an admin that one admin made alone. What each kind does once confirmed is the
 * APPLY table (apply.ts).
 * - key.destroy (always two admins): every version's sealed secret key is erased.
 * - policy.update, policy.delete: a change that weakens a key's release (policy/weakens.ts);
 *   issuer.update: trusting an attestation issuer (its tokens then pass rules);
 *   oidc.update: the tenant's OpenID provider (its groups grant roles: oidc/service.ts).
 * - user.roles, user.disable, user.invite: a grant of admin or approver, an admin leaving,
 *   a new invitation for an admin or approver.
 */
import type { BrokerContext } from '../context.js';
import type { Endpoint } from '../http/endpoint.js';
import type { Principal } from '../auth/principal.js';
import { appendAudit } from '../audit/log.js';
import type { Sql } from '../store/types.js';
import { errorSchema, fail } from '../http/errors.js';
import { idParams, invitationSchema, iso, object } from '../http/schemas.js';
import { checkConfirmer } from './service.js';
import { APPLY } from './apply.js';
import * as actions from './repository.js';
import type { PendingRow } from './repository.js';
import { actionAnswer } from '../../protocol/answers.js';

/** What waits for a second admin: the console lists it so that one can confirm it. */
export const listActions: Endpoint<Principal> = {
  schema: { response: { 200: object({ actions: { type: 'array', items: actionAnswer } }), '4xx': errorSchema } },
  async handle(ctx, _req, _reply, admin) {
    const rows = await actions.openActions(ctx.db, admin.tenantId, ctx.now());
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
  },
};

/** The action, locked, while it is still open. */
async function lockOpenAction(ctx: BrokerContext, q: Sql, admin: Principal, id: string): Promise<PendingRow> {
  const a = await actions.lockAction(q, admin.tenantId, id);
  if (!a) fail('ERR_NOT_FOUND', 'no such action');
  if (a.confirmed_at) fail('ERR_CONFLICT', 'this action was already confirmed');
  if (a.cancelled_at) fail('ERR_CONFLICT', 'this action was cancelled');
  if (new Date(a.expires_at) <= ctx.now()) fail('ERR_EXPIRED', 'this action expired');
  return a;
}

export const confirmAction: Endpoint<Principal> = {
  schema: {
    params: idParams,
    response: {
      200: object({
        actionId: { type: 'string' },
        kind: { type: 'string' },
        target: { type: 'string' },
        status: { type: 'string' },
        invitation: invitationSchema,
      }),
      '4xx': errorSchema,
    },
  },
  async handle(ctx, req, _reply, admin) {
    const { id } = req.params as { id: string };
    return ctx.db.tx(async (q) => {
      const a = await lockOpenAction(ctx, q, admin, id);
      const refused = await checkConfirmer(q, admin, a.requested_by);
      if (refused) fail('ERR_FORBIDDEN', refused);
      await actions.confirm(q, id, admin.userId);
      const done = await APPLY[a.kind](q, ctx, { tenantId: admin.tenantId, userId: admin.userId, sourceIp: req.ip, actionId: id }, a);
      return { actionId: id, kind: a.kind, target: a.target, status: 'done', ...(done?.invitation ? { invitation: done.invitation } : {}) };
    });
  },
};

/** Any admin may call off a change that waits: cancelling weakens nothing. */
export const cancelAction: Endpoint<Principal> = {
  schema: { params: idParams, response: { 200: object({ actionId: { type: 'string' }, status: { type: 'string' } }), '4xx': errorSchema } },
  async handle(ctx, req, _reply, admin) {
    const { id } = req.params as { id: string };
    return ctx.db.tx(async (q) => {
      const a = await lockOpenAction(ctx, q, admin, id);
      await actions.cancel(q, id);
      await appendAudit(q, admin.tenantId, {
        actor: admin.userId,
        action: `${a.kind}.cancel`,
        target: a.target,
        outcome: 'success',
        reasons: { actionId: id },
        sourceIp: req.ip,
      });
      return { actionId: id, status: 'cancelled' };
    });
  },
};
