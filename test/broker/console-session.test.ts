/**
 * The web console's server side without a browser: sign-in turns an API token into a
 * session cookie (HttpOnly, Secure, SameSite=Strict, short, stored as a hash), the /v1 API
 * takes the cookie with the same role checks as the token, every change made with it needs
 * the CSRF token, sign-out and token revocation end it, and every answer carries the
 * security headers. The browser tests are in test/console/ (scripts/test-console.sh).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from 'node:https';
import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify from 'fastify';
import { makeTenant, redeem, startBroker, type Harness } from './helpers.js';
import { consoleRoutes } from '../../src/broker/console/routes.js';
import { errorHandler } from '../../src/broker/http/errors.js';
import { openStore } from '../../src/broker/store/open.js';
import { readAnswer } from './read-answer.js';

interface Raw {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: any;
}

function send(h: Harness, method: string, path: string, headers: Record<string, string> = {}, body?: unknown): Promise<Raw> {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const req = request(
      `${h.url}${path}`,
      { method, ca: h.ca, headers: { ...headers, ...(data ? { 'content-type': 'application/json' } : {}) } },
      (res) => void readAnswer(res).then(resolve, reject),
    );
    req.on('error', reject);
    req.end(data);
  });
}

function cookieOf(r: Raw): string {
  const set = ([] as string[]).concat(r.headers['set-cookie'] ?? []);
  expect(set).toHaveLength(1);
  return set[0]!;
}

async function signIn(h: Harness, token: string) {
  const r = await send(h, 'POST', '/console/api/session', {}, { token });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  const cookie = cookieOf(r).split(';')[0]!;
  return { cookie, csrf: r.body.csrfToken as string, body: r.body, setCookie: cookieOf(r) };
}

describe('console sessions', () => {
  let h: Harness;
  let t: Awaited<ReturnType<typeof makeTenant>>;
  let other: Awaited<ReturnType<typeof makeTenant>>;

  let dbDir: string;
  let stopped = false;

  beforeAll(async () => {
    // On disk, so that the last test can open the database after the broker stopped.
    dbDir = await mkdtemp(join(tmpdir(), 'sc-console-db-'));
    h = await startBroker({ database: `pglite:${dbDir}` });
    t = await makeTenant(h);
    other = await makeTenant(h);
  }, 120_000);
  afterAll(async () => {
    if (!stopped) await h?.stop();
    await rm(dbDir, { recursive: true, force: true });
  });

  it('sends the security headers on the API and the console', async () => {
    for (const path of ['/v1/health', '/console/', '/console/api/session']) {
      const r = await send(h, 'GET', path);
      const csp = String(r.headers['content-security-policy']);
      expect(csp).toContain("script-src 'self'");
      expect(csp).toContain("style-src 'self'");
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).not.toContain('unsafe-inline');
      expect(r.headers['referrer-policy']).toBe('no-referrer');
      expect(r.headers['x-frame-options']).toBe('DENY');
      expect(r.headers['x-content-type-options']).toBe('nosniff');
    }
  });

  it('refuses an unknown token and a malformed one', async () => {
    const r = await send(h, 'POST', '/console/api/session', {}, { token: `sct_${'A'.repeat(43)}` });
    expect(r.status).toBe(401);
    expect(r.body.error.code).toBe('ERR_UNAUTHENTICATED');
    expect(r.headers['set-cookie']).toBeUndefined();
    expect((await send(h, 'POST', '/console/api/session', {}, { token: 'x' })).status).toBe(400);
  });

  it('makes a short HttpOnly, Secure, SameSite=Strict cookie, kept only as its hash', async () => {
    const s = await signIn(h, t.approver1);
    expect(s.setCookie).toMatch(
      /^__Host-sectorcrypt-session=scs_[A-Za-z0-9_-]{43}; Path=\/; Max-Age=\d+; HttpOnly; Secure; SameSite=Strict$/,
    );
    const maxAge = Number(/Max-Age=(\d+)/.exec(s.setCookie)![1]);
    expect(maxAge).toBeGreaterThan(60);
    expect(maxAge).toBeLessThanOrEqual(20 * 60);
    expect(s.body).toMatchObject({ tenantId: t.tenantId, userName: 'bob', roles: ['approver'] });
    expect(s.body.tenantName).toMatch(/^t\d+-/);
    expect(s.body.csrfToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
    // The page asks again after a reload: same user, same CSRF token.
    const again = await send(h, 'GET', '/console/api/session', { cookie: s.cookie });
    expect(again.status).toBe(200);
    expect(again.body.csrfToken).toBe(s.csrf);
  });

  it('lets the cookie call /v1 with the role checks of the token', async () => {
    const approver = await signIn(h, t.approver1);
    const auditor = await signIn(h, t.auditor);
    expect((await send(h, 'GET', '/v1/requests?status=pending', { cookie: approver.cookie })).status).toBe(200);
    const refused = await send(h, 'GET', '/v1/requests?status=pending', { cookie: auditor.cookie });
    expect(refused.status).toBe(403);
    expect(refused.body.error.code).toBe('ERR_FORBIDDEN');
    expect((await send(h, 'GET', '/v1/audit?limit=5', { cookie: auditor.cookie })).status).toBe(200);
    expect((await send(h, 'GET', '/v1/audit?limit=5', { cookie: approver.cookie })).status).toBe(403);
    expect((await send(h, 'GET', '/v1/users', { cookie: approver.cookie })).status).toBe(403);
  });

  it('needs the CSRF token on every change made with the cookie', async () => {
    const admin = await signIn(h, t.admin);
    const none = await send(h, 'POST', '/v1/keys', { cookie: admin.cookie }, { name: 'csrf-none' });
    expect(none.status).toBe(403);
    expect(none.body.error.code).toBe('ERR_FORBIDDEN');
    // One character changed: the first, which carries six bits (the last of 43 base64url
    // characters carries four, so it is 'A' one time in 16 and a fixed 'A' would not change it).
    const altered = `${admin.csrf[0] === 'A' ? 'B' : 'A'}${admin.csrf.slice(1)}`;
    const wrong = await send(h, 'POST', '/v1/keys', { cookie: admin.cookie, 'x-csrf-token': altered }, { name: 'csrf-wrong' });
    expect(wrong.status).toBe(403);
    const other = await signIn(h, t.admin);
    expect((await send(h, 'POST', '/v1/keys', { cookie: admin.cookie, 'x-csrf-token': other.csrf }, { name: 'csrf-other' })).status).toBe(
      403,
    );
    const good = await send(h, 'POST', '/v1/keys', { cookie: admin.cookie, 'x-csrf-token': admin.csrf }, { name: 'csrf-good' });
    expect(good.status).toBe(201);
    const keys = await h.client.call('GET', '/v1/keys', { token: t.admin });
    expect(keys.body.keys.map((k: { name: string }) => k.name)).toEqual(['csrf-good']);
  });

  it('keeps to its tenant', async () => {
    await h.client.call('POST', '/v1/keys', { token: other.admin, body: { name: 'theirs' } });
    const admin = await signIn(h, t.admin);
    const keys = await send(h, 'GET', '/v1/keys', { cookie: admin.cookie });
    expect(keys.body.keys.map((k: { name: string }) => k.name)).not.toContain('theirs');
  });

  it('ends on sign-out (with the CSRF token) and when its API token is revoked', async () => {
    const s = await signIn(h, t.approver2);
    expect((await send(h, 'DELETE', '/console/api/session', { cookie: s.cookie })).status).toBe(403);
    const out = await send(h, 'DELETE', '/console/api/session', { cookie: s.cookie, 'x-csrf-token': s.csrf });
    expect(out.status).toBe(200);
    expect(cookieOf(out)).toMatch(/^__Host-sectorcrypt-session=; Path=\/; Max-Age=0;/);
    expect((await send(h, 'GET', '/v1/requests', { cookie: s.cookie })).status).toBe(401);
    expect((await send(h, 'GET', '/console/api/session', { cookie: s.cookie })).status).toBe(401);

    const made = await h.client.call('POST', '/v1/tokens', { token: t.auditor, body: { expiresInSeconds: 3600 } });
    const s2 = await signIn(h, made.body.token);
    expect((await send(h, 'GET', '/v1/audit?limit=1', { cookie: s2.cookie })).status).toBe(200);
    expect((await h.client.call('POST', `/v1/tokens/${made.body.tokenId}/revoke`, { token: t.auditor })).status).toBe(200);
    expect((await send(h, 'GET', '/v1/audit?limit=1', { cookie: s2.cookie })).status).toBe(401);
  });

  it('cannot mint an API token (a stolen cookie must not become a 366-day credential)', async () => {
    const s = await signIn(h, t.auditor);
    const r = await send(h, 'POST', '/v1/tokens', { cookie: s.cookie, 'x-csrf-token': s.csrf }, { expiresInSeconds: 366 * 86400 });
    expect([r.status, r.body.error.code]).toEqual([403, 'ERR_FORBIDDEN']);
    expect(JSON.stringify(r.body)).not.toMatch(/sct_/);
  });

  it('ends when its user is disabled or demoted, at once', async () => {
    const made = await h.client.call('POST', '/v1/users', { token: t.admin, body: { name: 'sessioned', roles: ['auditor'] } });
    const token = await redeem(h, made.body.invitation);
    const s = await signIn(h, token);
    expect((await send(h, 'GET', '/v1/audit?limit=1', { cookie: s.cookie })).status).toBe(200);
    expect((await h.client.call('POST', `/v1/users/${made.body.userId}/roles`, { token: t.admin, body: { roles: [] } })).status).toBe(200);
    expect((await send(h, 'GET', '/v1/audit?limit=1', { cookie: s.cookie })).status).toBe(403);
    expect((await h.client.call('POST', `/v1/users/${made.body.userId}/disable`, { token: t.admin })).status).toBe(200);
    expect((await send(h, 'GET', '/console/api/session', { cookie: s.cookie })).status).toBe(401);
  });

  it('records sign-in and sign-out in the tenant log, without the cookie or token', async () => {
    const page = await h.client.call('GET', '/v1/audit?limit=1000', { token: t.auditor });
    const actions = page.body.records.map((r: { action: string }) => r.action);
    expect(actions).toContain('session.create');
    expect(actions).toContain('session.revoke');
    expect(JSON.stringify(page.body)).not.toMatch(/scs_|sct_/);
  });

  it('a Bearer token still works beside the cookie, and wins', async () => {
    const approver = await signIn(h, t.approver1);
    const r = await send(h, 'GET', '/v1/users', { cookie: approver.cookie, authorization: `Bearer ${t.admin}` });
    expect(r.status).toBe(200);
  });

  it('keeps only the SHA-256 of each cookie (read from the database once the broker stopped)', async () => {
    const values = [(await signIn(h, t.auditor)).cookie.split('=')[1]!, (await signIn(h, t.approver2)).cookie.split('=')[1]!];
    stopped = true;
    await h.stop();
    const store = await openStore(`pglite:${dbDir}`);
    try {
      const rows = await store.query<Record<string, unknown>>('SELECT * FROM console_sessions');
      const hashes = rows.map((r) => r.session_hash);
      for (const v of values) expect(hashes).toContain(createHash('sha256').update(v).digest('hex'));
      const text = JSON.stringify(rows);
      for (const v of values) expect(text).not.toContain(v);
    } finally {
      await store.close();
    }
  });
});

describe('console files', () => {
  it('serves the built files by name, and says so when the console is not built', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sc-console-'));
    try {
      await writeFile(join(dir, 'index.html'), '<!doctype html><title>x</title>');
      await writeFile(join(dir, 'app.js'), 'export {}');
      const app = Fastify();
      app.setErrorHandler(errorHandler);
      consoleRoutes(app, {} as never, dir);
      const html = await app.inject({ method: 'GET', url: '/console/' });
      expect(html.statusCode).toBe(200);
      expect(html.headers['content-type']).toBe('text/html; charset=utf-8');
      expect((await app.inject({ method: 'GET', url: '/console/app.js' })).headers['content-type']).toBe('text/javascript; charset=utf-8');
      const missing = await app.inject({ method: 'GET', url: '/console/app.css' });
      expect(missing.statusCode).toBe(404);
      expect(missing.json().error.message).toMatch(/not built/);
      expect((await app.inject({ method: 'GET', url: '/console/../package.json' })).statusCode).toBe(404);
      expect((await app.inject({ method: 'GET', url: '/console' })).headers.location).toBe('/console/');
      await app.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
