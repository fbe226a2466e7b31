/**
 * The minimum of the account endpoints (CUSTODY.md "Tenants, users and roles"): the operator
 * makes a tenant and its first admin; an admin makes users with roles; anyone signed in
 * makes themselves a new token. Tokens are shown once and stored as a hash; a user revokes
 * their own, an admin any of the tenant's. Roles change only within separation of duties.
 */
import type { FastifyInstance } from 'fastify';
import type { BrokerContext } from '../context.js';
import { requireRole, authenticate } from '../auth.js';
import { appendAudit } from '../store/audit.js';
import type { Sql } from '../store/types.js';
import { SYSTEM_TENANT } from '../store/migrations.js';
import { newId, newToken, tokenHash } from '../secrets.js';
import { errorSchema, fail } from '../http-errors.js';
import { ensureLogKey } from '../audit-log.js';
import { idParams, name, object, iso } from '../schemas.js';

const DAY = 86_400;
const tokenLife = { type: 'integer', minimum: 60, maximum: 366 * DAY } as const;
const tenantRoles = { type: 'array', minItems: 1, maxItems: 3, uniqueItems: true, items: { enum: ['admin', 'approver', 'auditor'] } } as const;

/** Inserts a token for a user; returns the token (the caller shows it once). */
export async function issueToken(q: Sql, tenantId: string, userId: string, lifeSeconds: number): Promise<{ tokenId: string; token: string; expiresAt: string }> {
  const token = newToken('sct');
  const tokenId = newId('tok');
  const rows = await q.query<{ expires_at: string }>(
    `INSERT INTO api_tokens (tenant_id, id, user_id, token_hash, expires_at)
     VALUES ($1, $2, $3, $4, now() + make_interval(secs => $5)) RETURNING expires_at`,
    [tenantId, tokenId, userId, tokenHash(token), lifeSeconds],
  );
  return { tokenId, token, expiresAt: iso(rows[0]!.expires_at) };
}

export function checkSeparation(roles: string[]): void {
  if (roles.includes('admin') && roles.includes('approver')) {
    fail('ERR_FORBIDDEN', 'separation of duties: one user cannot be both admin and approver');
  }
}

export function accountRoutes(app: FastifyInstance, ctx: BrokerContext): void {
  app.post(
    '/v1/tenants',
    {
      schema: {
        body: object({ name, admin: object({ name, expiresInSeconds: tokenLife }, ['name']) }, ['name', 'admin']),
        response: {
          201: object(
            { tenantId: { type: 'string' }, admin: object({ userId: { type: 'string' }, token: { type: 'string' }, expiresAt: { type: 'string' } }) },
            ['tenantId', 'admin'],
          ),
          '4xx': errorSchema,
        },
      },
    },
    async (req, reply) => {
      const op = await requireRole(ctx.db, req, 'operator');
      const body = req.body as { name: string; admin: { name: string; expiresInSeconds?: number } };
      const result = await ctx.db.tx(async (q) => {
        const taken = await q.query('SELECT 1 FROM tenants WHERE name = $1', [body.name]);
        if (taken.length) fail('ERR_CONFLICT', `a tenant named ${body.name} exists`);
        const tenantId = newId('tn');
        await q.query('INSERT INTO tenants (id, tenant_id, name) VALUES ($1, $1, $2)', [tenantId, body.name]);
        await ensureLogKey(q, ctx.rootKey, tenantId);
        const userId = newId('usr');
        await q.query('INSERT INTO users (tenant_id, id, name, roles) VALUES ($1, $2, $3, $4)', [tenantId, userId, body.admin.name, ['admin']]);
        const tok = await issueToken(q, tenantId, userId, body.admin.expiresInSeconds ?? 90 * DAY);
        const sourceIp = req.ip;
        await appendAudit(q, SYSTEM_TENANT, { actor: op.userId, action: 'tenant.create', target: tenantId, outcome: 'success', sourceIp });
        await appendAudit(q, tenantId, { actor: op.userId, action: 'tenant.create', target: tenantId, outcome: 'success', sourceIp });
        await appendAudit(q, tenantId, { actor: op.userId, action: 'user.create', target: userId, outcome: 'success', reasons: { roles: ['admin'] }, sourceIp });
        await appendAudit(q, tenantId, { actor: op.userId, action: 'token.create', target: tok.tokenId, outcome: 'success', sourceIp });
        return { tenantId, admin: { userId, token: tok.token, expiresAt: tok.expiresAt } };
      });
      return reply.status(201).send(result);
    },
  );

  app.post(
    '/v1/users',
    {
      schema: {
        body: object({ name, roles: tenantRoles, expiresInSeconds: tokenLife }, ['name', 'roles']),
        response: {
          201: object({ userId: { type: 'string' }, tokenId: { type: 'string' }, token: { type: 'string' }, expiresAt: { type: 'string' } }, ['userId', 'token']),
          '4xx': errorSchema,
        },
      },
    },
    async (req, reply) => {
      const admin = await requireRole(ctx.db, req, 'admin');
      const body = req.body as { name: string; roles: string[]; expiresInSeconds?: number };
      checkSeparation(body.roles);
      const result = await ctx.db.tx(async (q) => {
        const taken = await q.query('SELECT 1 FROM users WHERE tenant_id = $1 AND name = $2', [admin.tenantId, body.name]);
        if (taken.length) fail('ERR_CONFLICT', `a user named ${body.name} exists`);
        const userId = newId('usr');
        await q.query('INSERT INTO users (tenant_id, id, name, roles) VALUES ($1, $2, $3, $4)', [admin.tenantId, userId, body.name, body.roles]);
        const tok = await issueToken(q, admin.tenantId, userId, body.expiresInSeconds ?? 90 * DAY);
        await appendAudit(q, admin.tenantId, { actor: admin.userId, action: 'user.create', target: userId, outcome: 'success', reasons: { roles: body.roles }, sourceIp: req.ip });
        await appendAudit(q, admin.tenantId, { actor: admin.userId, action: 'token.create', target: tok.tokenId, outcome: 'success', sourceIp: req.ip });
        return { userId, tokenId: tok.tokenId, token: tok.token, expiresAt: tok.expiresAt };
      });
      return reply.status(201).send(result);
    },
  );

  app.get(
    '/v1/users',
    {
      schema: {
        response: {
          200: object({
            users: {
              type: 'array',
              items: object({ userId: { type: 'string' }, name: { type: 'string' }, roles: { type: 'array', items: { type: 'string' } }, createdAt: { type: 'string' } }),
            },
          }),
          '4xx': errorSchema,
        },
      },
    },
    async (req) => {
      const admin = await requireRole(ctx.db, req, 'admin');
      const rows = await ctx.db.query<{ id: string; name: string; roles: string[]; created_at: string }>(
        'SELECT id, name, roles, created_at FROM users WHERE tenant_id = $1 AND disabled_at IS NULL ORDER BY created_at, id',
        [admin.tenantId],
      );
      return { users: rows.map((r) => ({ userId: r.id, name: r.name, roles: r.roles, createdAt: iso(r.created_at) })) };
    },
  );

  app.post(
    '/v1/tokens',
    {
      schema: {
        body: { anyOf: [object({ expiresInSeconds: tokenLife }), { type: 'null' }] },
        response: { 201: object({ tokenId: { type: 'string' }, token: { type: 'string' }, expiresAt: { type: 'string' } }), '4xx': errorSchema },
      },
    },
    async (req, reply) => {
      const who = await authenticate(ctx.db, req);
      const life = (req.body as { expiresInSeconds?: number } | null)?.expiresInSeconds ?? 90 * DAY;
      const result = await ctx.db.tx(async (q) => {
        const tok = await issueToken(q, who.tenantId, who.userId, life);
        await appendAudit(q, who.tenantId, { actor: who.userId, action: 'token.create', target: tok.tokenId, outcome: 'success', sourceIp: req.ip });
        return tok;
      });
      return reply.status(201).send(result);
    },
  );

  app.post(
    '/v1/users/:id/roles',
    { schema: { params: idParams, body: object({ roles: tenantRoles }, ['roles']), response: { 200: object({ userId: { type: 'string' }, roles: { type: 'array', items: { type: 'string' } } }), '4xx': errorSchema } } },
    async (req) => {
      const admin = await requireRole(ctx.db, req, 'admin');
      const { id } = req.params as { id: string };
      const { roles } = req.body as { roles: string[] };
      checkSeparation(roles);
      return ctx.db.tx(async (q) => {
        const rows = await q.query('UPDATE users SET roles = $3 WHERE tenant_id = $1 AND id = $2 AND disabled_at IS NULL RETURNING id', [admin.tenantId, id, roles]);
        if (!rows.length) fail('ERR_NOT_FOUND', 'no such user');
        await appendAudit(q, admin.tenantId, { actor: admin.userId, action: 'user.roles', target: id, outcome: 'success', reasons: { roles }, sourceIp: req.ip });
        return { userId: id, roles };
      });
    },
  );

  // A user revokes their own tokens; an admin any token of the tenant.
  app.post(
    '/v1/tokens/:id/revoke',
    { schema: { params: idParams, response: { 200: object({ tokenId: { type: 'string' }, revoked: { type: 'boolean' } }), '4xx': errorSchema } } },
    async (req) => {
      const who = await authenticate(ctx.db, req);
      const { id } = req.params as { id: string };
      const anyUser = who.roles.includes('admin');
      return ctx.db.tx(async (q) => {
        const rows = await q.query(
          'UPDATE api_tokens SET revoked_at = coalesce(revoked_at, now()) WHERE tenant_id = $1 AND id = $2 AND ($3 OR user_id = $4) RETURNING id',
          [who.tenantId, id, anyUser, who.userId],
        );
        if (!rows.length) fail('ERR_NOT_FOUND', 'no such token');
        await appendAudit(q, who.tenantId, { actor: who.userId, action: 'token.revoke', target: id, outcome: 'success', sourceIp: req.ip });
        return { tokenId: id, revoked: true };
      });
    },
  );
}
