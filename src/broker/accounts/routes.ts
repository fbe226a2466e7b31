/**
 * Tenants, users and tokens (docs/broker.md "Tenants, users and tokens"): the operator makes a
 * tenant and invites its admins; an admin makes users, each with an invitation the user
 * redeems (routes-invitations.ts); anyone signed in with a token makes themselves another.
 * Grants of admin or approver wait for a second admin once the tenant enforces two-person
 * rules (separation/service.ts); service.ts applies every change. Who may call each: http/routes.ts.
 */
import type { Endpoint } from '../http/endpoint.js';
import type { Principal } from '../auth/principal.js';
import { appendAudit } from '../audit/log.js';
import { SYSTEM_TENANT } from '../store/migrations.js';
import { newId } from '../auth/secrets.js';
import { errorSchema, fail } from '../http/errors.js';
import { ensureLogKey } from '../audit/checkpoints.js';
import { DEFAULT_TOKEN_SECONDS, idParams, invitationSchema, name, object, iso, pendingActionSchema, tokenLife } from '../http/schemas.js';
import { requestAction, twoPersonEnforced, PRIVILEGED_ROLES } from '../separation/service.js';
import { revokeSessionsOfToken } from '../auth/repository.js';
import { checkSeparation, createUser, grantedPrivileges, issueToken, keepAnAdmin, lockUser, setRoles } from './service.js';
import * as accounts from './repository.js';
import { tokenAnswer, userAnswer } from '../../protocol/answers.js';

const tenantRoles = {
  type: 'array',
  minItems: 0,
  maxItems: 3,
  uniqueItems: true,
  items: { enum: ['admin', 'approver', 'auditor'] },
} as const;
const invitedAdmin = object({ userId: { type: 'string' }, invitation: invitationSchema }, ['userId', 'invitation']);

export const createTenant: Endpoint<Principal> = {
  schema: {
    body: object({ name, admin: object({ name, expiresInSeconds: tokenLife }, ['name']) }, ['name', 'admin']),
    response: { 201: object({ tenantId: { type: 'string' }, admin: invitedAdmin }, ['tenantId', 'admin']), '4xx': errorSchema },
  },
  async handle(ctx, req, reply, op) {
    const body = req.body as { name: string; admin: { name: string; expiresInSeconds?: number } };
    const result = await ctx.db.tx(async (q) => {
      if (await accounts.tenantNameTaken(q, body.name)) fail('ERR_CONFLICT', `a tenant named ${body.name} exists`);
      const tenantId = newId('tn');
      await accounts.insertTenant(q, tenantId, body.name);
      await ensureLogKey(q, ctx.rootKey, tenantId);
      await appendAudit(q, SYSTEM_TENANT, {
        actor: op.userId,
        action: 'tenant.create',
        target: tenantId,
        outcome: 'success',
        sourceIp: req.ip,
      });
      await appendAudit(q, tenantId, { actor: op.userId, action: 'tenant.create', target: tenantId, outcome: 'success', sourceIp: req.ip });
      const by = { tenantId, userId: op.userId, sourceIp: req.ip };
      const admin = await createUser(q, by, {
        name: body.admin.name,
        roles: ['admin'],
        vouched: true,
        tokenSeconds: body.admin.expiresInSeconds ?? DEFAULT_TOKEN_SECONDS,
      });
      return { tenantId, admin };
    });
    return reply.status(201).send(result);
  },
};

/** The tenants (their names and ids only: the operator sees nothing inside them). */
export const listTenants: Endpoint<Principal> = {
  schema: {
    response: {
      200: object({
        tenants: {
          type: 'array',
          items: object({ tenantId: { type: 'string' }, name: { type: 'string' }, createdAt: { type: 'string' } }),
        },
      }),
      '4xx': errorSchema,
    },
  },
  async handle(ctx) {
    const rows = await accounts.listTenants(ctx.db, SYSTEM_TENANT);
    return { tenants: rows.map((r) => ({ tenantId: r.id, name: r.name, createdAt: iso(r.created_at) })) };
  },
};

/** The operator invites another admin: a second person the tenant's first admin did not make. */
export const inviteAdmin: Endpoint<Principal> = {
  schema: {
    params: idParams,
    body: object({ name, expiresInSeconds: tokenLife }, ['name']),
    response: { 201: invitedAdmin, '4xx': errorSchema },
  },
  async handle(ctx, req, reply, op) {
    const { id: tenantId } = req.params as { id: string };
    const body = req.body as { name: string; expiresInSeconds?: number };
    const result = await ctx.db.tx(async (q) => {
      if (!(await accounts.tenantExists(q, tenantId, SYSTEM_TENANT))) fail('ERR_NOT_FOUND', 'no such tenant');
      await appendAudit(q, SYSTEM_TENANT, {
        actor: op.userId,
        action: 'tenant.admin.invite',
        target: tenantId,
        outcome: 'success',
        sourceIp: req.ip,
      });
      return createUser(
        q,
        { tenantId, userId: op.userId, sourceIp: req.ip },
        { name: body.name, roles: ['admin'], vouched: true, tokenSeconds: body.expiresInSeconds ?? DEFAULT_TOKEN_SECONDS },
      );
    });
    return reply.status(201).send(result);
  },
};

export const createUserRoute: Endpoint<Principal> = {
  schema: {
    body: object({ name, roles: tenantRoles, expiresInSeconds: tokenLife }, ['name', 'roles']),
    response: {
      201: object(
        {
          userId: { type: 'string' },
          roles: { type: 'array', items: { type: 'string' } },
          invitation: invitationSchema,
          pending: pendingActionSchema,
        },
        ['userId', 'invitation'],
      ),
      '4xx': errorSchema,
    },
  },
  async handle(ctx, req, reply, admin) {
    const body = req.body as { name: string; roles: string[]; expiresInSeconds?: number };
    checkSeparation(body.roles);
    const result = await ctx.db.tx(async (q) => {
      const by = { tenantId: admin.tenantId, userId: admin.userId, sourceIp: req.ip };
      const tokenSeconds = body.expiresInSeconds ?? DEFAULT_TOKEN_SECONDS;
      const privileged = grantedPrivileges([], body.roles);
      if (privileged.length && (await twoPersonEnforced(q, admin.tenantId))) {
        // The user exists at once without admin or approver; a second admin grants those.
        const now = body.roles.filter((r) => !(PRIVILEGED_ROLES as readonly string[]).includes(r));
        const made = await createUser(q, by, { name: body.name, roles: now, vouched: false, tokenSeconds });
        const pending = await requestAction(
          q,
          admin,
          { kind: 'user.roles', target: made.userId, payload: { roles: body.roles }, reason: `granting ${privileged.join(' and ')}` },
          req.ip,
        );
        return { ...made, roles: now, pending };
      }
      const made = await createUser(q, by, { name: body.name, roles: body.roles, vouched: false, tokenSeconds });
      return { ...made, roles: body.roles };
    });
    return reply.status(201).send(result);
  },
};

const userList = object({ users: { type: 'array', items: userAnswer } });

export const listUsers: Endpoint<Principal> = {
  schema: { querystring: object({ all: { enum: ['true', 'false'] } }), response: { 200: userList, '4xx': errorSchema } },
  async handle(ctx, req, _reply, admin) {
    const all = (req.query as { all?: string } | undefined)?.all === 'true';
    const rows = await accounts.listUsers(ctx.db, admin.tenantId, all);
    return {
      users: rows.map((r) => ({
        userId: r.id,
        name: r.name,
        roles: r.roles,
        vouched: r.vouched,
        // local: an API token the broker made; provider: signs in through the tenant's OpenID provider.
        signIn: r.oidc_issuer ? 'provider' : 'local',
        createdAt: iso(r.created_at),
        ...(r.disabled_at ? { disabledAt: iso(r.disabled_at) } : {}),
      })),
    };
  },
};

/**
 * A token makes another token; a console session does not (a stolen cookie must not become a
 * credential that outlives it): the table's 'user' admits both, so the handler tells them apart.
 */
export const createToken: Endpoint<Principal> = {
  schema: {
    body: { anyOf: [object({ expiresInSeconds: tokenLife }), { type: 'null' }] },
    response: {
      201: object({ tokenId: { type: 'string' }, token: { type: 'string' }, expiresAt: { type: 'string' } }),
      '4xx': errorSchema,
    },
  },
  async handle(ctx, req, reply, who) {
    if (who.via === 'session') fail('ERR_FORBIDDEN', 'API tokens are made with an API token (the CLI), not from a console session');
    const life = (req.body as { expiresInSeconds?: number } | null)?.expiresInSeconds ?? DEFAULT_TOKEN_SECONDS;
    const result = await ctx.db.tx(async (q) => {
      const tok = await issueToken(q, who.tenantId, who.userId, life);
      await appendAudit(q, who.tenantId, {
        actor: who.userId,
        action: 'token.create',
        target: tok.tokenId,
        outcome: 'success',
        sourceIp: req.ip,
      });
      return tok;
    });
    return reply.status(201).send(result);
  },
};

/** The caller's own tokens (an admin lists another user's with GET /v1/users/:id/tokens). */
export const listOwnTokens: Endpoint<Principal> = {
  schema: {
    response: {
      200: object({ tokens: { type: 'array', items: tokenAnswer } }),
      '4xx': errorSchema,
    },
  },
  async handle(ctx, _req, _reply, who) {
    const rows = await accounts.userTokens(ctx.db, who.tenantId, who.userId, true);
    return {
      tokens: rows.map((r) => ({
        tokenId: r.id,
        createdAt: iso(r.created_at),
        expiresAt: iso(r.expires_at),
        ...(r.revoked_at ? { revokedAt: iso(r.revoked_at) } : {}),
        current: r.token_hash === who.tokenHash,
      })),
    };
  },
};

export const setUserRoles: Endpoint<Principal> = {
  schema: {
    params: idParams,
    body: object({ roles: tenantRoles }, ['roles']),
    response: {
      200: object({ userId: { type: 'string' }, roles: { type: 'array', items: { type: 'string' } } }),
      202: pendingActionSchema,
      '4xx': errorSchema,
    },
  },
  async handle(ctx, req, reply, admin) {
    const { id: userId } = req.params as { id: string };
    const { roles } = req.body as { roles: string[] };
    checkSeparation(roles);
    const answer = await ctx.db.tx(async (q) => {
      const user = await lockUser(q, admin.tenantId, userId);
      const granted = grantedPrivileges(user.roles, roles);
      const adminLeaves = user.roles.includes('admin') && !roles.includes('admin');
      if (adminLeaves) await keepAnAdmin(q, admin.tenantId, userId);
      if ((granted.length || adminLeaves) && (await twoPersonEnforced(q, admin.tenantId))) {
        const reason = granted.length ? `granting ${granted.join(' and ')}` : 'an admin stops being one';
        return { pending: await requestAction(q, admin, { kind: 'user.roles', target: userId, payload: { roles }, reason }, req.ip) };
      }
      // Granted by one admin alone: not vouched (separation/service.ts).
      await setRoles(
        q,
        { tenantId: admin.tenantId, userId: admin.userId, sourceIp: req.ip },
        userId,
        roles,
        granted.length ? false : user.vouched,
      );
      return { done: { userId, roles } };
    });
    if ('pending' in answer) return reply.status(202).send(answer.pending);
    return answer.done;
  },
};

/** A user revokes their own tokens; an admin any token of the tenant. */
export const revokeToken: Endpoint<Principal> = {
  schema: {
    params: idParams,
    response: { 200: object({ tokenId: { type: 'string' }, revoked: { type: 'boolean' } }), '4xx': errorSchema },
  },
  async handle(ctx, req, _reply, who) {
    const { id: tokenId } = req.params as { id: string };
    const anyUser = who.roles.includes('admin');
    return ctx.db.tx(async (q) => {
      if (!(await accounts.revokeToken(q, who.tenantId, tokenId, anyUser, who.userId))) fail('ERR_NOT_FOUND', 'no such token');
      // A revoked token's console sessions end with it.
      await revokeSessionsOfToken(q, who.tenantId, tokenId);
      await appendAudit(q, who.tenantId, {
        actor: who.userId,
        action: 'token.revoke',
        target: tokenId,
        outcome: 'success',
        sourceIp: req.ip,
      });
      return { tokenId, revoked: true };
    });
  },
};
