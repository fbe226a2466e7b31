/**
 * The web console (docs/console.md): its static files at /console/ and its session calls.
 *
 * - The files are the three that scripts/build-console.mjs writes to dist/console/, served
 *   from memory by name (no directory walking, nothing fetched from elsewhere). When the
 *   console was not built, /console/ says so with a 404 and the broker runs on.
 * - POST /console/api/session {token} signs in: the API token becomes a session cookie
 *   (auth/console-session.ts); GET tells the page who is signed in and its CSRF token again;
 *   DELETE signs out. Sign-in and sign-out are recorded in the tenant's audit log.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { BrokerContext } from '../context.js';
import { appendAudit } from '../audit/log.js';
import { errorSchema, fail } from '../http/errors.js';
import { object } from '../http/schemas.js';
import { newToken, tokenHash } from '../auth/secrets.js';
import {
  SESSION_SECONDS,
  checkCsrf,
  clearedSessionCookie,
  csrfTokenFor,
  findSession,
  readSessionCookie,
  sessionCookie,
  type SessionRow,
} from '../auth/console-session.js';

/** dist/console/, two levels up from both src/broker/routes/ and dist/broker/routes/. */
export const DEFAULT_CONSOLE_DIR = fileURLToPath(new URL('../../../dist/console/', import.meta.url));

const FILES: Record<string, string> = {
  'index.html': 'text/html; charset=utf-8',
  'app.js': 'text/javascript; charset=utf-8',
  'app.css': 'text/css; charset=utf-8',
};

const whoAmI = object(
  {
    tenantId: { type: 'string' },
    tenantName: { type: 'string' },
    userId: { type: 'string' },
    userName: { type: 'string' },
    roles: { type: 'array', items: { type: 'string' } },
    csrfToken: { type: 'string' },
    expiresAt: { type: 'string' },
  },
  ['tenantId', 'userId', 'roles', 'csrfToken', 'expiresAt'],
);

/** The built files, read once they exist (a build after start is picked up). */
function staticFiles(dir: string): (file: string) => Buffer | undefined {
  const cache = new Map<string, Buffer>();
  return (file) => {
    let bytes = cache.get(file);
    if (bytes) return bytes;
    try {
      bytes = readFileSync(`${dir}/${file}`);
    } catch {
      return undefined;
    }
    cache.set(file, bytes);
    return bytes;
  };
}

export function consoleRoutes(app: FastifyInstance, ctx: BrokerContext, dir = DEFAULT_CONSOLE_DIR): void {
  const read = staticFiles(dir);

  const serve = (file: string) => async (_req: FastifyRequest, reply: FastifyReply) => {
    const bytes = read(file);
    if (!bytes) fail('ERR_NOT_FOUND', 'the console is not built here (npm run build:console)');
    return reply.header('content-type', FILES[file]!).header('cache-control', 'no-cache').send(bytes);
  };
  app.get('/console', async (_req, reply) => reply.redirect('/console/'));
  app.get('/console/', serve('index.html'));
  for (const file of Object.keys(FILES)) app.get(`/console/${file}`, serve(file));

  /** Who the session is, for the page. */
  async function describe(s: SessionRow, session: string) {
    const rows = await ctx.db.query<{ tenant_name: string; user_name: string }>(
      'SELECT t.name AS tenant_name, u.name AS user_name FROM users u JOIN tenants t ON t.id = u.tenant_id WHERE u.tenant_id = $1 AND u.id = $2',
      [s.tenantId, s.userId],
    );
    return {
      tenantId: s.tenantId,
      tenantName: rows[0]?.tenant_name ?? s.tenantId,
      userId: s.userId,
      userName: rows[0]?.user_name ?? s.userId,
      roles: s.roles,
      csrfToken: csrfTokenFor(session),
      expiresAt: s.expiresAt,
    };
  }

  app.post(
    '/console/api/session',
    {
      schema: {
        body: object({ token: { type: 'string', minLength: 16, maxLength: 128, pattern: '^[A-Za-z0-9_-]+$' } }, ['token']),
        response: { 201: whoAmI, '4xx': errorSchema },
      },
    },
    async (req, reply) => {
      const { token } = req.body as { token: string };
      const session = newToken('scs');
      const made = await ctx.db.tx(async (q) => {
        const rows = await q.query<{ tenant_id: string; id: string; user_id: string }>(
          `SELECT t.tenant_id, t.id, t.user_id FROM api_tokens t JOIN users u ON u.id = t.user_id
            WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND t.expires_at > now() AND u.disabled_at IS NULL`,
          [tokenHash(token)],
        );
        const tok = rows[0];
        if (!tok) return undefined;
        await q.query(
          `INSERT INTO console_sessions (tenant_id, session_hash, token_id, user_id, expires_at)
           VALUES ($1, $2, $3, $4, least(now() + make_interval(secs => $5), (SELECT expires_at FROM api_tokens WHERE id = $3)))`,
          [tok.tenant_id, tokenHash(session), tok.id, tok.user_id, SESSION_SECONDS],
        );
        await appendAudit(q, tok.tenant_id, { actor: tok.user_id, action: 'session.create', target: tok.id, outcome: 'success', sourceIp: req.ip });
        return true;
      });
      if (!made) fail('ERR_UNAUTHENTICATED', 'unknown, expired or revoked token');
      const s = (await findSession(ctx.db, session))!;
      const maxAge = Math.max(1, Math.floor((Date.parse(s.expiresAt) - Date.now()) / 1000));
      return reply.status(201).header('set-cookie', sessionCookie(session, maxAge)).send(await describe(s, session));
    },
  );

  app.get('/console/api/session', { schema: { response: { 200: whoAmI, '4xx': errorSchema } } }, async (req) => {
    const session = readSessionCookie(req);
    const s = session === undefined ? undefined : await findSession(ctx.db, session);
    if (!s || session === undefined) fail('ERR_UNAUTHENTICATED', 'not signed in');
    return describe(s, session);
  });

  app.delete('/console/api/session', { schema: { response: { 200: object({ signedOut: { type: 'boolean' } }), '4xx': errorSchema } } }, async (req, reply) => {
    const session = readSessionCookie(req);
    const s = session === undefined ? undefined : await findSession(ctx.db, session);
    if (!s || session === undefined) return reply.header('set-cookie', clearedSessionCookie()).send({ signedOut: true });
    checkCsrf(req, session);
    await ctx.db.tx(async (q) => {
      await q.query('UPDATE console_sessions SET revoked_at = now() WHERE session_hash = $1 AND revoked_at IS NULL', [tokenHash(session)]);
      await appendAudit(q, s.tenantId, { actor: s.userId, action: 'session.revoke', target: s.tokenId, outcome: 'success', sourceIp: req.ip });
    });
    return reply.header('set-cookie', clearedSessionCookie()).send({ signedOut: true });
  });
}
