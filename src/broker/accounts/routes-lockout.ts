/**
 * Locking a user out (docs/broker.md "Tenants, users and tokens"): an admin disables a user
 * (every token, session and invitation stops at once), lists and revokes its tokens, and
 * gives it a new invitation. Disabling an admin and inviting an admin or approver again wait
 * for a second admin once the tenant enforces two-person rules (separation/service.ts).
 */
import type { Endpoint } from '../http/endpoint.js';
import type { Principal } from '../auth/principal.js';
import { errorSchema, fail } from '../http/errors.js';
import { appendAudit } from '../audit/log.js';
import { DEFAULT_TOKEN_SECONDS, idParams, invitationSchema, iso, object, pendingActionSchema, tokenLife } from '../http/schemas.js';
import { requestAction, twoPersonEnforced } from '../separation/service.js';
import { createInvitation, disableUser as disable, keepAnAdmin, lockUser, revokeCredentials } from './service.js';
import * as accounts from './repository.js';
import { tokenAnswer } from '../../protocol/answers.js';

/** The caller's own list marks `current`; another user's list never does. */
const tokenRow = tokenAnswer;

export const disableUser: Endpoint<Principal> = {
  schema: {
    params: idParams,
    response: { 200: object({ userId: { type: 'string' }, disabled: { type: 'boolean' } }), 202: pendingActionSchema, '4xx': errorSchema },
  },
  async handle(ctx, req, reply, admin) {
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
      await disable(q, { tenantId: admin.tenantId, userId: admin.userId, sourceIp: req.ip }, userId);
      return { done: { userId, disabled: true } };
    });
    if ('pending' in answer) return reply.status(202).send(answer.pending);
    return answer.done;
  },
};

export const listUserTokens: Endpoint<Principal> = {
  schema: {
    params: idParams,
    response: { 200: object({ userId: { type: 'string' }, tokens: { type: 'array', items: tokenRow } }), '4xx': errorSchema },
  },
  async handle(ctx, req, _reply, admin) {
    const { id: userId } = req.params as { id: string };
    if (!(await accounts.userExists(ctx.db, admin.tenantId, userId))) fail('ERR_NOT_FOUND', 'no such user');
    const rows = await accounts.userTokens(ctx.db, admin.tenantId, userId, false);
    return {
      userId,
      tokens: rows.map((r) => ({
        tokenId: r.id,
        createdAt: iso(r.created_at),
        expiresAt: iso(r.expires_at),
        ...(r.revoked_at ? { revokedAt: iso(r.revoked_at) } : {}),
      })),
    };
  },
};

export const revokeUserTokens: Endpoint<Principal> = {
  schema: { params: idParams, response: { 200: object({ userId: { type: 'string' }, revoked: { type: 'integer' } }), '4xx': errorSchema } },
  async handle(ctx, req, _reply, admin) {
    const { id: userId } = req.params as { id: string };
    return ctx.db.tx(async (q) => {
      await lockUser(q, admin.tenantId, userId);
      const { tokens } = await revokeCredentials(q, admin.tenantId, userId);
      await appendAudit(q, admin.tenantId, {
        actor: admin.userId,
        action: 'user.tokens.revoke',
        target: userId,
        outcome: 'success',
        reasons: { tokensRevoked: tokens },
        sourceIp: req.ip,
      });
      return { userId, revoked: tokens };
    });
  },
};

/**
 * A lost token: a new invitation, and every credential the user had stops (so a user whose
 * invitation someone else redeemed finds out). For an admin or approver it is a new
 * credential for a privileged role, so it waits for a second admin like a grant.
 */
export const reinviteUser: Endpoint<Principal> = {
  schema: {
    params: idParams,
    body: { anyOf: [object({ expiresInSeconds: tokenLife }), { type: 'null' }] },
    response: { 201: object({ userId: { type: 'string' }, invitation: invitationSchema }), 202: pendingActionSchema, '4xx': errorSchema },
  },
  async handle(ctx, req, reply, admin) {
    const { id: userId } = req.params as { id: string };
    const tokenSeconds = (req.body as { expiresInSeconds?: number } | null)?.expiresInSeconds ?? DEFAULT_TOKEN_SECONDS;
    const answer = await ctx.db.tx(async (q) => {
      const user = await lockUser(q, admin.tenantId, userId);
      if ((user.roles.includes('admin') || user.roles.includes('approver')) && (await twoPersonEnforced(q, admin.tenantId))) {
        return {
          pending: await requestAction(
            q,
            admin,
            { kind: 'user.invite', target: userId, payload: { tokenSeconds }, reason: `a new credential for ${user.roles.join(' and ')}` },
            req.ip,
          ),
        };
      }
      await revokeCredentials(q, admin.tenantId, userId);
      return {
        done: {
          userId,
          invitation: await createInvitation(q, { tenantId: admin.tenantId, userId: admin.userId, sourceIp: req.ip }, userId, tokenSeconds),
        },
      };
    });
    if ('pending' in answer) return reply.status(202).send(answer.pending);
    return reply.status(201).send(answer.done);
  },
};
