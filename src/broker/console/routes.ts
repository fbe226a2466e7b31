/**
 * The web console (docs/console.md): its static files at /console/ and its session calls.
 *
 * - The files are the three that scripts/build-console.mjs writes to dist/console/, served
 *   from memory by name (no directory walking, nothing fetched from elsewhere). When the
 *   console was not built, /console/ says so with a 404 and the broker runs on.
 * - POST /console/api/session {token} signs in: the API token becomes a session cookie
 *   (auth/console-session.ts); GET tells the page who is signed in and its CSRF token again;
 *   deleting the session signs out. Sign-in and sign-out are recorded in the tenant's audit log.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import type { BrokerContext } from '../context.js';
import { mount, route, type Endpoint } from '../http/endpoint.js';
import { appendAudit } from '../audit/log.js';
import { errorSchema, fail } from '../http/errors.js';
import { object } from '../http/schemas.js';
import { newToken, tokenHash } from '../auth/secrets.js';
import { insertSession, liveTokenId, revokeSession } from '../auth/repository.js';
import { tenantAndUserNames } from '../accounts/repository.js';
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
import { whoAmIAnswer } from '../../protocol/answers.js';
import { getProvider } from '../oidc/repository.js';
import { discover } from '../oidc/protocol.js';

/** The provider's logout URL, when it offers one (a provider that does not answer: none). */
async function providerLogoutUrl(ctx: BrokerContext, tenantId: string): Promise<string | undefined> {
  const p = await getProvider(ctx.db, tenantId);
  if (!p) return undefined;
  const meta = await discover(p.settings.issuer).catch(() => undefined);
  if (!meta?.end_session_endpoint) return undefined;
  const url = new URL(meta.end_session_endpoint);
  url.searchParams.set('client_id', p.settings.clientId);
  return url.toString();
}

/** dist/console/, two levels up from both src/broker/routes/ and dist/broker/routes/. */
export const DEFAULT_CONSOLE_DIR = fileURLToPath(new URL('../../../dist/console/', import.meta.url));

/** The console's files by name, with their media types. */
export const FILES: Record<string, string> = {
  'index.html': 'text/html; charset=utf-8',
  'app.js': 'text/javascript; charset=utf-8',
  'app.css': 'text/css; charset=utf-8',
};

const whoAmI = whoAmIAnswer;

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

/** Serves one of the built files by name (the console's static routes, http/routes.ts). */
export function consoleFile(file: string, dir = DEFAULT_CONSOLE_DIR): Endpoint<undefined> {
  const read = staticFiles(dir);
  return {
    schema: {},
    async handle(_ctx, _req, reply) {
      const bytes = read(file);
      if (!bytes) fail('ERR_NOT_FOUND', 'the console is not built here (npm run build:console)');
      return reply.header('content-type', FILES[file]!).header('cache-control', 'no-cache').send(bytes);
    },
  };
}

export const consoleRedirect: Endpoint<undefined> = {
  schema: {},
  async handle(_ctx, _req, reply) {
    return reply.redirect('/console/');
  },
};

/** The console's static routes alone, from another folder (tests). */
export function consoleRoutes(app: FastifyInstance, ctx: BrokerContext, dir = DEFAULT_CONSOLE_DIR): void {
  mount(app, ctx, [
    route('get', '/console', 'public', consoleRedirect),
    route('get', '/console/', 'public', consoleFile('index.html', dir)),
    ...Object.keys(FILES).map((file) => route('get', `/console/${file}`, 'public', consoleFile(file, dir))),
  ]);
}

/** Who the session is, for the page. */
async function describe(ctx: BrokerContext, s: SessionRow, session: string) {
  const names = await tenantAndUserNames(ctx.db, s.tenantId, s.userId);
  return {
    tenantId: s.tenantId,
    tenantName: names?.tenant_name ?? s.tenantId,
    userId: s.userId,
    userName: names?.user_name ?? s.userId,
    roles: s.roles,
    csrfToken: csrfTokenFor(session),
    expiresAt: s.expiresAt,
    ...(s.signIn ? { signIn: s.signIn } : {}),
  };
}

/** Sign-in: the API token becomes a session cookie. */
export const signIn: Endpoint<undefined> = {
  schema: {
    body: object({ token: { type: 'string', minLength: 16, maxLength: 128, pattern: '^[A-Za-z0-9_-]+$' } }, ['token']),
    response: { 201: whoAmI, '4xx': errorSchema },
  },
  async handle(ctx, req, reply) {
    const { token } = req.body as { token: string };
    const session = newToken('scs');
    const made = await ctx.db.tx(async (q) => {
      const tok = await liveTokenId(q, tokenHash(token));
      if (!tok) return undefined;
      await insertSession(q, {
        tenantId: tok.tenant_id,
        sessionHash: tokenHash(session),
        tokenId: tok.id,
        userId: tok.user_id,
        seconds: SESSION_SECONDS,
      });
      await appendAudit(q, tok.tenant_id, {
        actor: tok.user_id,
        action: 'session.create',
        target: tok.id,
        outcome: 'success',
        sourceIp: req.ip,
      });
      return true;
    });
    if (!made) fail('ERR_UNAUTHENTICATED', 'unknown, expired or revoked token');
    const s = (await findSession(ctx.db, session))!;
    const maxAge = Math.max(1, Math.floor((Date.parse(s.expiresAt) - Date.now()) / 1000));
    return reply
      .status(201)
      .header('set-cookie', sessionCookie(session, maxAge))
      .send(await describe(ctx, s, session));
  },
};

/** Who is signed in, and the CSRF token again (after a reload). */
export const whoIsSignedIn: Endpoint<undefined> = {
  schema: { response: { 200: whoAmI, '4xx': errorSchema } },
  async handle(ctx, req) {
    const session = readSessionCookie(req);
    const s = session === undefined ? undefined : await findSession(ctx.db, session);
    if (!s || session === undefined) fail('ERR_UNAUTHENTICATED', 'not signed in');
    return describe(ctx, s, session);
  },
};

/**
 * Sign-out. A session from the tenant's provider also gets the provider's end_session_endpoint
 * (OpenID Connect RP-Initiated Logout 1.0 section 2, with client_id), for the page to go to.
 */
export const signOut: Endpoint<undefined> = {
  schema: { response: { 200: object({ signedOut: { type: 'boolean' }, endSessionUrl: { type: 'string' } }), '4xx': errorSchema } },
  async handle(ctx, req, reply) {
    const session = readSessionCookie(req);
    const s = session === undefined ? undefined : await findSession(ctx.db, session);
    if (!s || session === undefined) return reply.header('set-cookie', clearedSessionCookie()).send({ signedOut: true });
    checkCsrf(req, session);
    await ctx.db.tx(async (q) => {
      await revokeSession(q, tokenHash(session));
      await appendAudit(q, s.tenantId, {
        actor: s.userId,
        action: 'session.revoke',
        target: s.tokenId,
        outcome: 'success',
        ...(s.signIn ? { reasons: { provider: s.signIn.provider, subject: s.signIn.subject } } : {}),
        sourceIp: req.ip,
      });
    });
    const endSessionUrl = s.signIn ? await providerLogoutUrl(ctx, s.tenantId) : undefined;
    return reply.header('set-cookie', clearedSessionCookie()).send({ signedOut: true, ...(endSessionUrl ? { endSessionUrl } : {}) });
  },
};
