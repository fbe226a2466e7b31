/**
 * Sign-in through a tenant's OpenID provider (docs/broker.md "Sign-in through an OpenID
 * provider"), against a real provider started here (../oidc-provider.ts): the settings and
 * their second admin, the console's code flow with PKCE, the ID token checks as a hostile or
 * broken provider would fail them, roles only from groups, approvals with assurance and
 * step-up, local tokens without votes, the CLI's device grant, and root-key rotation.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from 'node:https';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { BrokerAgent } from '../../../src/agent/index.js';
import { hpkeSeal } from '../../../src/keys/hpke.js';
import { Broker } from '../../../src/broker/index.js';
import { openStore } from '../../../src/broker/store/open.js';
import { rotateRootKey } from '../../../src/broker/root-key/rotate.js';
import { openAtRest } from '../../../src/broker/root-key/seal.js';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { CLI } from '../../entry.js';
import { generateKeyPair } from 'jose';
import { policyChangeWeakens } from '../../../src/broker/policy/weakens.js';
import type { Policy } from '../../../src/broker/policy/types.js';
import { makeTenant, operatorAdmin, startBroker, type Harness } from '../helpers.js';
import { browse, CookieJar, startProvider, xsrfOf, type TestLogin, type TestProvider } from '../oidc-provider.js';
import { readAnswer } from '../read-answer.js';

const te = new TextEncoder();

interface Raw {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: any;
}

/** One HTTPS call to the broker with any headers (cookies, CSRF), redirects not followed. */
function raw(
  h: { url: string; ca: string },
  method: string,
  path: string,
  headers: Record<string, string> = {},
  body?: unknown,
): Promise<Raw> {
  const url = path.startsWith('https://') ? path : `${h.url}${path}`;
  const bytes = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { method, ca: h.ca, headers: { ...headers, ...(bytes ? { 'content-type': 'application/json' } : {}) } },
      (res) => void readAnswer(res).then(resolve, reject),
    );
    req.on('error', reject);
    req.end(bytes);
  });
}

function cookieOf(r: Raw, name: string): string | undefined {
  const set = r.headers['set-cookie'] ?? [];
  for (const line of Array.isArray(set) ? set : [set]) {
    const m = new RegExp(`^${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}=([^;]*)`).exec(line);
    if (m && m[1] !== '') return m[1];
  }
  return undefined;
}

const SESSION = '__Host-sectorcrypt-session';
const BINDING = '__Host-sectorcrypt-oidc';

export function oidcSuite(harness: () => Harness, opts: { database: () => Promise<string | undefined> }): void {
  let h: Harness;
  let op: TestProvider;

  const settings = (extra: Record<string, unknown> = {}) => ({
    issuer: op.issuer,
    clientId: op.clientId,
    clientSecret: op.clientSecret,
    redirectUri: `${h.url}/console/api/oidc/callback`,
    scopes: ['openid', 'email', 'groups'],
    roles: { admin: ['sc-admins'], approver: ['sc-approvers'], auditor: ['sc-auditors'] },
    mfaAcrValues: ['urn:test:mfa'],
    ...extra,
  });

  async function tenantName(tenantId: string): Promise<string> {
    const list = await h.client.call('GET', '/v1/tenants', { token: h.operatorToken });
    return list.body.tenants.find((t: { tenantId: string }) => t.tenantId === tenantId).name;
  }

  /** A tenant whose provider is set (one vouched admin: applied at once). */
  async function tenantWithProvider(extra: Record<string, unknown> = {}) {
    const t = await makeTenant(h);
    const put = await h.client.call('PUT', '/v1/oidc', { token: t.admin, body: settings(extra) });
    expect(put.status, JSON.stringify(put.body)).toBe(200);
    return { ...t, name: await tenantName(t.tenantId) };
  }

  /** The start of a console sign-in: the provider URL, the state and the binding cookie. */
  async function start(name: string, stepUp = false) {
    const r = await raw(h, 'GET', `/console/api/oidc/start?tenant=${encodeURIComponent(name)}${stepUp ? '&stepUp=true' : ''}`);
    expect(r.status, JSON.stringify(r.body)).toBe(302);
    const location = new URL(String(r.headers.location));
    return { location, state: location.searchParams.get('state')!, binding: cookieOf(r, BINDING)! };
  }

  /** The provider's part: the person signs in; the callback URL the browser is sent to. */
  async function atProvider(location: URL, login: TestLogin | undefined): Promise<URL> {
    op.nextLogin = login;
    const b = await browse(location.toString(), new CookieJar(), `${h.url}/console/api/oidc/callback`);
    if (!b.stoppedAt) throw new Error(`the provider did not come back: ${b.status} ${b.body.slice(0, 300)}`);
    return b.stoppedAt;
  }

  async function callback(url: URL, binding: string | undefined): Promise<Raw> {
    return raw(h, 'GET', `${url.pathname}${url.search}`, binding ? { cookie: `${BINDING}=${binding}` } : {});
  }

  /** The whole console sign-in; the session cookie and its CSRF token. */
  async function signIn(name: string, login: TestLogin, stepUp = false) {
    const s = await start(name, stepUp);
    const cb = await callback(await atProvider(s.location, login), s.binding);
    expect(cb.status, JSON.stringify(cb.body)).toBe(303);
    expect(cb.headers.location).toBe('/console/');
    const session = cookieOf(cb, SESSION)!;
    const who = await raw(h, 'GET', '/console/api/session', { cookie: `${SESSION}=${session}` });
    expect(who.status).toBe(200);
    return { session, csrf: who.body.csrfToken as string, who: who.body };
  }

  const asSession = (s: { session: string; csrf: string }) => ({ cookie: `${SESSION}=${s.session}`, 'x-csrf-token': s.csrf });

  beforeAll(async () => {
    h = harness();
    op = await startProvider({ redirectUri: `${h.url}/console/api/oidc/callback` });
    op.accounts.set('ann', { email: 'ann@example.com', groups: ['sc-approvers', 'staff'] });
    op.accounts.set('abe', { email: 'abe@example.com', groups: ['sc-approvers'] });
    op.accounts.set('ada', { email: 'ada@example.com', groups: ['sc-admins'] });
    op.accounts.set('aud', { email: 'aud@example.com', groups: ['sc-auditors'] });
    op.accounts.set('mal', { email: 'mal@example.com', groups: ['staff'] });
    op.accounts.set('two', { email: 'two@example.com', groups: ['sc-admins', 'sc-approvers'] });
  });
  afterAll(async () => op?.close());

  describe('OpenID provider settings', () => {
    it('are checked, keep the client secret sealed (never shown, never in the audit log) and are audited', async () => {
      const t = await makeTenant(h);
      const bad = async (extra: Record<string, unknown>) =>
        (await h.client.call('PUT', '/v1/oidc', { token: t.admin, body: settings(extra) })).status;
      expect(await bad({ issuer: 'http://idp.example.com' })).toBe(400);
      expect(await bad({ roles: { admin: ['g'], approver: ['g'] } })).toBe(400);
      expect(await bad({ roles: {} })).toBe(400);
      expect(await bad({ redirectUri: `${h.url}/elsewhere` })).toBe(400);
      expect(await bad({ scopes: ['email'] })).toBe(400);
      expect((await h.client.call('PUT', '/v1/oidc', { token: t.approver1, body: settings() })).status).toBe(403);
      const put = await h.client.call('PUT', '/v1/oidc', { token: t.admin, body: settings() });
      expect(put.status).toBe(200);
      expect(put.body.clientSecret).toBe('sealed');
      const got = await h.client.call('GET', '/v1/oidc', { token: t.admin });
      expect(got.body).toMatchObject({
        issuer: op.issuer,
        clientId: op.clientId,
        clientSecret: 'sealed',
        groupsClaim: 'groups',
        localTokenVotes: true,
      });
      expect(JSON.stringify(got.body)).not.toContain(op.clientSecret);
      const log = await h.client.call('GET', '/v1/audit?limit=1000', { token: t.auditor });
      expect(log.body.records.some((r: { action: string }) => r.action === 'oidc.update')).toBe(true);
      expect(JSON.stringify(log.body)).not.toContain(op.clientSecret);
      // Another tenant's admin sees nothing of it.
      const other = await makeTenant(h);
      expect((await h.client.call('GET', '/v1/oidc', { token: other.admin })).status).toBe(404);
    });

    it('with two vouched admins, a change waits for the second; the one who asked cannot confirm it', async () => {
      const t = await makeTenant(h);
      const second = await operatorAdmin(h, t.tenantId, 'second-admin');
      const put = await h.client.call('PUT', '/v1/oidc', { token: t.admin, body: settings() });
      expect(put.status).toBe(202);
      expect(put.body.kind).toBe('oidc.update');
      expect((await h.client.call('GET', '/v1/oidc', { token: t.admin })).status).toBe(404);
      const actions = await h.client.call('GET', '/v1/actions', { token: t.admin });
      expect(JSON.stringify(actions.body)).not.toContain(op.clientSecret);
      expect((await h.client.call('POST', `/v1/actions/${put.body.actionId}/confirm`, { token: t.admin })).status).toBe(403);
      expect((await h.client.call('POST', `/v1/actions/${put.body.actionId}/confirm`, { token: second })).status).toBe(200);
      expect((await h.client.call('GET', '/v1/oidc', { token: t.admin })).body.issuer).toBe(op.issuer);
      // The secret was the one sealed with the request: the provider accepts it.
      const s = await signIn(await tenantName(t.tenantId), { accountId: 'aud' });
      expect(s.who.roles).toEqual(['auditor']);
    });
  });

  describe('console sign-in (code flow with PKCE)', () => {
    it('signs a person in with the roles of their groups, as a provider user, and asks with PKCE, state, nonce and the exact redirect URI', async () => {
      const t = await tenantWithProvider();
      const s = await signIn(t.name, { accountId: 'ann', amr: ['pwd'] });
      expect(s.who.roles).toEqual(['approver']);
      expect(s.who.signIn).toMatchObject({ provider: op.issuer, subject: 'ann', amr: ['pwd'] });
      const asked = op.authRequests.at(-1)!;
      expect(asked.get('code_challenge_method')).toBe('S256');
      expect(asked.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(asked.get('nonce')).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(asked.get('redirect_uri')).toBe(`${h.url}/console/api/oidc/callback`);
      const users = await h.client.call('GET', '/v1/users', { token: t.admin });
      const byName = Object.fromEntries(users.body.users.map((u: { name: string; signIn: string }) => [u.name, u.signIn]));
      expect(byName['ann@example.com']).toBe('provider');
      expect(byName.alice).toBe('local');
      // The session works like any: an approver's list; an admin's call is refused.
      expect((await raw(h, 'GET', '/v1/requests', asSession(s))).status).toBe(200);
      expect((await raw(h, 'GET', '/v1/users', asSession(s))).status).toBe(403);
      // No admin can change a provider person's roles or mint them a local token.
      const ann = users.body.users.find((u: { name: string }) => u.name === 'ann@example.com');
      expect((await h.client.call('POST', `/v1/users/${ann.userId}/roles`, { token: t.admin, body: { roles: ['auditor'] } })).status).toBe(
        409,
      );
      expect((await h.client.call('POST', `/v1/users/${ann.userId}/invitation`, { token: t.admin, body: {} })).status).toBe(409);
      // Sign-out: the session ends, and the provider's logout endpoint is named (RP-initiated).
      const out = await raw(h, 'DELETE', '/console/api/session', asSession(s));
      expect(out.status).toBe(200);
      expect(out.body.endSessionUrl).toMatch(new RegExp(`^${op.issuer}/session/end\\?client_id=`));
      expect((await raw(h, 'GET', '/console/api/session', { cookie: `${SESSION}=${s.session}` })).status).toBe(401);
    });

    it('refuses a replayed callback, a code under another state, an unknown state and a callback from another browser', async () => {
      const t = await tenantWithProvider();
      const s = await start(t.name);
      const cb = await atProvider(s.location, { accountId: 'ann' });
      expect((await callback(cb, s.binding)).status).toBe(303);
      const again = await callback(cb, s.binding);
      expect(again.status).toBe(401);
      expect(again.body.error.code).toBe('ERR_REPLAY');
      // The used code under a fresh state (its own verifier): the provider refuses the code.
      const s2 = await start(t.name);
      const moved = new URL(cb);
      moved.searchParams.set('state', s2.state);
      const reused = await callback(moved, s2.binding);
      expect(reused.status).toBe(401);
      expect(reused.body.error.message).toContain('refused the code');
      // A state the broker never issued.
      const forged = new URL(cb);
      forged.searchParams.set('state', 'A'.repeat(43));
      expect((await callback(forged, s.binding)).status).toBe(401);
      // A code for a sign-in another browser started (login CSRF): no binding cookie, or another one.
      const s3 = await start(t.name);
      const cb3 = await atProvider(s3.location, { accountId: 'ann' });
      const stranger = await start(t.name);
      expect((await callback(cb3, undefined)).status).toBe(401);
      expect((await callback(cb3, stranger.binding)).status).toBe(401);
    });

    const tampered: [string, (c: Record<string, unknown>) => Record<string, unknown>, string][] = [
      ['a wrong audience', (c) => ({ ...c, aud: 'another-client' }), 'aud'],
      [
        'an expired ID token',
        (c) => ({ ...c, iat: Math.floor(Date.now() / 1000) - 7200, exp: Math.floor(Date.now() / 1000) - 3600 }),
        'expired',
      ],
      ['a wrong nonce', (c) => ({ ...c, nonce: 'not-the-nonce' }), 'nonce'],
      ['a wrong issuer', (c) => ({ ...c, iss: 'https://evil.example.com' }), 'iss'],
      ['an at_hash of another access token', (c) => ({ ...c, at_hash: 'AAAAAAAAAAAAAAAAAAAAAA' }), 'at_hash'],
    ];
    for (const [what, change, word] of tampered) {
      it(`refuses ${what} (signed with the provider's key)`, async () => {
        const t = await tenantWithProvider();
        const s = await start(t.name);
        const cb = await atProvider(s.location, { accountId: 'ann' });
        op.tamper = change;
        const r = await callback(cb, s.binding);
        expect(r.status, JSON.stringify(r.body)).toBe(401);
        expect(r.body.error.message).toContain(word);
        expect(cookieOf(r, SESSION)).toBeUndefined();
      });
    }

    it("refuses an ID token signed with a key that is not the provider's (same kid)", async () => {
      const t = await tenantWithProvider();
      const s = await start(t.name);
      const cb = await atProvider(s.location, { accountId: 'ann' });
      op.tamperKey = (await generateKeyPair('RS256')).privateKey;
      op.tamper = (c) => ({ ...c, groups: ['sc-admins'] });
      const r = await callback(cb, s.binding);
      expect(r.status, JSON.stringify(r.body)).toBe(401);
      expect(r.body.error.message).toContain('signature');
    });

    it('refuses a person whose groups map to no role (audited), and one whose groups map to admin and approver', async () => {
      const t = await tenantWithProvider();
      for (const accountId of ['mal', 'two']) {
        const s = await start(t.name);
        const r = await callback(await atProvider(s.location, { accountId }), s.binding);
        expect(r.status).toBe(403);
        expect(r.body.error.code).toBe('ERR_FORBIDDEN');
        expect(cookieOf(r, SESSION)).toBeUndefined();
      }
      const log = await h.client.call('GET', '/v1/audit?limit=1000', { token: t.auditor });
      const refused = log.body.records.filter(
        (r: { action: string; outcome: string }) => r.action === 'session.create' && r.outcome === 'failure',
      );
      expect(refused.map((r: { reasons: { subject: string } }) => r.reasons.subject)).toEqual(['mal', 'two']);
      expect(refused[0].reasons.error).toContain('maps to a role');
    });

    it('refuses a person outside the allowed domains', async () => {
      const t = await tenantWithProvider({ domains: ['corp.example'] });
      const s = await start(t.name);
      const r = await callback(await atProvider(s.location, { accountId: 'ann' }), s.binding);
      expect(r.status).toBe(403);
      expect(r.body.error.message).toContain('domain');
    });

    it('a sign-in the person refuses at the provider is ERR_DENIED', async () => {
      const t = await tenantWithProvider();
      const s = await start(t.name);
      const r = await callback(await atProvider(s.location, undefined), s.binding);
      expect(r.status).toBe(403);
      expect(r.body.error.code).toBe('ERR_DENIED');
    });
  });

  describe('approvals with assurance', () => {
    /** A key under a manual policy (with `approval`), an enrolled agent, and a release that waits. */
    async function pendingRequest(t: { admin: string }, approval: Record<string, unknown>) {
      const k = await h.client.call('POST', '/v1/keys', { token: t.admin, body: { name: `k-${randomUUID().slice(0, 8)}` } });
      const keyId = k.body.keyId as string;
      const policy = {
        keys: [keyId],
        devices: { groups: ['g'] },
        rules: { claim: 'integrity.firewall', equals: true },
        approval: { mode: 'manual', approvers: 1, ttlSeconds: 600, ...approval },
      };
      const put = await h.client.call('PUT', `/v1/policies/p-${keyId.slice(4, 12)}`, { token: t.admin, body: policy });
      expect(put.status, JSON.stringify(put.body)).toBe(200);
      const e = await h.client.call('POST', '/v1/enrollment-tokens', { token: t.admin, body: { groups: ['g'], uses: 1 } });
      const stateDir = join(await mkdtemp(join(tmpdir(), 'sc-agent-')), 's');
      (await BrokerAgent.enroll({ url: h.url, ca: h.ca, token: e.body.token, stateDir, device: { name: 'dev' } })).close();
      const uuid = randomUUID();
      const sealed = await hpkeSeal(
        'x25519',
        new Uint8Array(Buffer.from(k.body.publicKey, 'base64')),
        te.encode('sectorcrypt-luks2/v1 broker'),
        te.encode(`${keyId}/1/${uuid}`),
        new Uint8Array(32).fill(7),
      );
      const agent = await BrokerAgent.load({ stateDir, claims: { integrity: { firewall: true } } });
      try {
        await agent.unwrap({ keyId, version: 1, enc: sealed.enc, ciphertext: sealed.ciphertext }, { resource: `luks2:${uuid}` });
        throw new Error('expected the release to wait');
      } catch (err) {
        expect((err as { code: string }).code).toBe('ERR_PENDING');
        return (err as { requestId: string }).requestId;
      } finally {
        agent.close();
      }
    }

    it('the policy syntax is validated', async () => {
      const t = await makeTenant(h);
      const keyId = (await h.client.call('POST', '/v1/keys', { token: t.admin, body: { name: 'v' } })).body.keyId as string;
      const put = (assurance: unknown) =>
        h.client.call('PUT', '/v1/policies/v', {
          token: t.admin,
          body: {
            keys: [keyId],
            devices: { groups: ['g'] },
            rules: { claim: 'integrity.firewall', equals: true },
            approval: { mode: 'manual', assurance },
          },
        });
      for (const bad of [
        {},
        { secondFactor: 'yes' },
        { maxAgeMinutes: 0 },
        { maxAgeMinutes: 100000 },
        { other: true },
        { secondFactor: false },
      ])
        expect((await put(bad)).status, JSON.stringify(bad)).toBe(400);
      expect((await put({ secondFactor: true, maxAgeMinutes: 10 })).status).toBe(200);
      const auto = await h.client.call('PUT', '/v1/policies/w', {
        token: t.admin,
        body: {
          keys: [keyId],
          devices: { groups: ['g'] },
          rules: { claim: 'integrity.firewall', equals: true },
          approval: { mode: 'auto', assurance: { secondFactor: true } },
        },
      });
      expect(auto.status).toBe(400);
    });

    it('a vote without the second factor is refused with ERR_STEP_UP (a provider sign-in or a local token); after step-up it counts, and the audit record says how the voter signed in', async () => {
      const t = await tenantWithProvider();
      const requestId = await pendingRequest(t, { assurance: { secondFactor: true, maxAgeMinutes: 10 } });
      const weak = await signIn(t.name, { accountId: 'ann', amr: ['pwd'], acr: 'urn:test:pwd' });
      const refused = await raw(h, 'POST', `/v1/requests/${requestId}/approve`, asSession(weak), {});
      expect(refused.status).toBe(403);
      expect(refused.body.error.code).toBe('ERR_STEP_UP');
      expect(refused.body.error.message).toContain('second factor');
      const local = await h.client.call('POST', `/v1/requests/${requestId}/approve`, { token: t.approver1, body: {} });
      expect(local.status).toBe(403);
      expect(local.body.error.code).toBe('ERR_STEP_UP');
      // Step-up: the provider is asked for a sign-in now, with the tenant's second-factor acr.
      const strong = await signIn(t.name, { accountId: 'ann', amr: ['pwd', 'otp'], acr: 'urn:test:mfa' }, true);
      const asked = op.authRequests.at(-1)!;
      expect(asked.get('max_age')).toBe('0');
      expect(asked.get('acr_values')).toBe('urn:test:mfa');
      const ok = await raw(h, 'POST', `/v1/requests/${requestId}/approve`, asSession(strong), {});
      expect(ok.status, JSON.stringify(ok.body)).toBe(200);
      expect(ok.body.status).toBe('approved');
      const log = await h.client.call('GET', '/v1/audit?limit=1000', { token: t.auditor });
      const vote = log.body.records.find(
        (r: { action: string; requestId: string }) => r.action === 'request.approve' && r.requestId === requestId,
      );
      expect(vote.reasons.signIn).toMatchObject({ provider: op.issuer, subject: 'ann', amr: ['pwd', 'otp'], acr: 'urn:test:mfa' });
      expect(Date.parse(vote.reasons.signIn.authTime)).toBeGreaterThan(Date.now() - 120_000);
    });

    it('an acr the tenant does not count as a second factor does not pass; loosening the assurance is a weakening change', async () => {
      const t = await tenantWithProvider();
      const requestId = await pendingRequest(t, { assurance: { secondFactor: true } });
      const s = await signIn(t.name, { accountId: 'abe', amr: ['pwd'], acr: 'urn:test:pwd' });
      expect((await raw(h, 'POST', `/v1/requests/${requestId}/approve`, asSession(s), {})).body.error.code).toBe('ERR_STEP_UP');
      // One method alone, even a hardware key, is one factor (RFC 8176 section 2).
      const one = await signIn(t.name, { accountId: 'abe', amr: ['hwk'] });
      expect((await raw(h, 'POST', `/v1/requests/${requestId}/approve`, asSession(one), {})).body.error.code).toBe('ERR_STEP_UP');
      const hw = await signIn(t.name, { accountId: 'abe', amr: ['pwd', 'hwk'] });
      expect((await raw(h, 'POST', `/v1/requests/${requestId}/approve`, asSession(hw), {})).status).toBe(200);
      const base = { name: 'p', keys: ['k'], devices: { groups: ['g'] }, rules: { claim: 'integrity.firewall', equals: true } };
      const strict = {
        ...base,
        approval: { mode: 'manual', approvers: 1, assurance: { secondFactor: true, maxAgeMinutes: 10 } },
      } as Policy;
      expect(policyChangeWeakens(strict, { ...base, approval: { mode: 'manual', approvers: 1 } } as Policy)).toContain('sign-in');
      expect(
        policyChangeWeakens(strict, {
          ...base,
          approval: { mode: 'manual', approvers: 1, assurance: { secondFactor: true, maxAgeMinutes: 30 } },
        } as Policy),
      ).toContain('sign-in');
      expect(
        policyChangeWeakens(strict, {
          ...base,
          approval: { mode: 'manual', approvers: 1, assurance: { secondFactor: true, maxAgeMinutes: 5 } },
        } as Policy),
      ).toBeUndefined();
    });

    it('with localTokenVotes false, a local approver token cannot vote; a provider sign-in can', async () => {
      const t = await tenantWithProvider({ localTokenVotes: false });
      const requestId = await pendingRequest(t, {});
      const local = await h.client.call('POST', `/v1/requests/${requestId}/deny`, { token: t.approver1, body: {} });
      expect(local.status).toBe(403);
      expect(local.body.error.code).toBe('ERR_FORBIDDEN');
      // The local approver still reads the requests (a role without votes).
      expect((await h.client.call('GET', `/v1/requests/${requestId}`, { token: t.approver1 })).status).toBe(200);
      const s = await signIn(t.name, { accountId: 'abe', amr: ['pwd'] });
      const ok = await raw(h, 'POST', `/v1/requests/${requestId}/approve`, asSession(s), {});
      expect(ok.status).toBe(200);
    });
  });

  describe('CLI sign-in (device authorization grant)', () => {
    async function confirmAtProvider(verificationUri: string, userCode: string, login: TestLogin | undefined, abort = false) {
      op.nextLogin = login;
      const jar = new CookieJar();
      const page = await browse(verificationUri, jar, 'never:');
      const confirm = await browse(verificationUri, jar, 'never:', {
        method: 'POST',
        form: { xsrf: xsrfOf(page.body), user_code: userCode },
      });
      const form: Record<string, string> = {
        xsrf: xsrfOf(confirm.body),
        user_code: userCode,
        ...(abort ? { abort: 'yes' } : { confirm: 'yes' }),
      };
      return browse(verificationUri, jar, 'never:', { method: 'POST', form });
    }

    it('happy path: pending, then a broker session (Bearer) with the roles of the groups; logout ends it', async () => {
      const t = await tenantWithProvider();
      const d = await raw(h, 'POST', '/v1/oidc/device', {}, { tenant: t.name });
      expect(d.status, JSON.stringify(d.body)).toBe(200);
      expect(d.body.userCode).toMatch(/^[A-Z]{4}-[A-Z]{4}$/);
      expect(JSON.stringify(d.body)).not.toContain('device_code');
      const pending = await raw(h, 'POST', '/v1/oidc/device/token', {}, { handle: d.body.handle });
      expect(pending.body.status).toBe('pending');
      // Polling faster than the interval: slow_down, without asking the provider.
      const fast = await raw(h, 'POST', '/v1/oidc/device/token', {}, { handle: d.body.handle });
      expect(fast.body.status).toBe('slow_down');
      const done = await confirmAtProvider(d.body.verificationUri, d.body.userCode, { accountId: 'abe', amr: ['pwd', 'otp'] });
      expect(done.status).toBe(200);
      await new Promise((r) => setTimeout(r, (fast.body.interval as number) * 1000));
      const token = await raw(h, 'POST', '/v1/oidc/device/token', {}, { handle: d.body.handle });
      expect(token.status, JSON.stringify(token.body)).toBe(201);
      expect(token.body.roles).toEqual(['approver']);
      const bearer = { authorization: `Bearer ${token.body.session}` };
      expect((await raw(h, 'GET', '/v1/requests', bearer)).status).toBe(200);
      expect((await raw(h, 'GET', '/v1/keys', bearer)).status).toBe(200);
      expect((await raw(h, 'POST', '/v1/tokens', bearer, {})).status).toBe(403);
      // The handle is used once.
      expect((await raw(h, 'POST', '/v1/oidc/device/token', {}, { handle: d.body.handle })).status).toBe(401);
      expect((await raw(h, 'DELETE', '/v1/session', bearer)).status).toBe(200);
      expect((await raw(h, 'GET', '/v1/requests', bearer)).status).toBe(401);
    }, 30_000);

    it('denied at the provider: ERR_DENIED, and the handle is over', async () => {
      const t = await tenantWithProvider();
      const d = await raw(h, 'POST', '/v1/oidc/device', {}, { tenant: t.name });
      await confirmAtProvider(d.body.verificationUri, d.body.userCode, { accountId: 'abe' }, true);
      const r = await raw(h, 'POST', '/v1/oidc/device/token', {}, { handle: d.body.handle });
      expect(r.status, JSON.stringify(r.body)).toBe(403);
      expect(r.body.error.code).toBe('ERR_DENIED');
      expect((await raw(h, 'POST', '/v1/oidc/device/token', {}, { handle: d.body.handle })).status).toBe(401);
    });

    it('sectorcrypt broker login: shows the code, polls, keeps a 0600 session file that other commands use; broker logout ends it', async () => {
      const t = await tenantWithProvider();
      const dir = await mkdtemp(join(tmpdir(), 'sc-login-'));
      const caFile = join(dir, 'ca.pem');
      await writeFile(caFile, h.ca);
      const env = { ...process.env, SECTORCRYPT_BROKER_TOKEN: '', SECTORCRYPT_BROKER_SESSION: join(dir, 'cfg', 'session.json') };
      const child = spawn(process.execPath, [...CLI, 'broker', 'login', '--url', h.url, '--ca', caFile, '--tenant', t.name, '--json'], {
        env,
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
      const shown = await new Promise<{ uri: string; code: string }>((resolve, reject) => {
        child.stderr.on('data', (c: Buffer) => {
          stderr += c.toString();
          const m = /open (\S+) and enter the code (\S+)/.exec(stderr);
          if (m) resolve({ uri: m[1]!, code: m[2]! });
        });
        child.on('exit', () => reject(new Error(`login exited: ${stderr}`)));
      });
      const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
      await confirmAtProvider(shown.uri, shown.code, { accountId: 'ann', amr: ['pwd'] });
      expect(await exited, stderr).toBe(0);
      const out = JSON.parse(stdout);
      expect(out).toMatchObject({ signedIn: true, roles: ['approver'], tenantId: t.tenantId });
      const file = join(dir, 'cfg', 'session.json');
      expect((await stat(file)).mode & 0o777).toBe(0o600);
      const kept = JSON.parse(await readFile(file, 'utf8'));
      expect(Object.keys(kept).sort()).toEqual(['ca', 'expiresAt', 'roles', 'session', 'tenantId', 'url', 'userId']);
      expect(kept.session).toMatch(/^scs_/);
      const run = (args: string[]) =>
        new Promise<{ code: number; stdout: string; stderr: string }>((resolve) =>
          execFile(process.execPath, [...CLI, 'broker', ...args], { env }, (err, o, e) =>
            resolve({ code: err ? Number(err.code ?? 1) : 0, stdout: o, stderr: e }),
          ),
        );
      // No --url, --ca or --token: the session is used.
      const list = await run(['request', 'list', '--json']);
      expect(list.code, list.stderr).toBe(0);
      expect(JSON.parse(list.stdout).requests).toEqual([]);
      expect((await run(['logout', '--json'])).code).toBe(0);
      expect(existsSync(file)).toBe(false);
      expect((await raw(h, 'GET', '/v1/requests', { authorization: `Bearer ${kept.session}` })).status).toBe(401);
    }, 60_000);

    it('a code that expired before the person signed in: ERR_EXPIRED', async () => {
      const t = await tenantWithProvider();
      op.deviceCodeSeconds = 1;
      let d: Raw;
      try {
        d = await raw(h, 'POST', '/v1/oidc/device', {}, { tenant: t.name });
      } finally {
        op.deviceCodeSeconds = 600;
      }
      expect(d.body.expiresIn).toBe(1);
      await new Promise((r) => setTimeout(r, 1500));
      const r = await raw(h, 'POST', '/v1/oidc/device/token', {}, { handle: d.body.handle });
      expect(r.status, JSON.stringify(r.body)).toBe(410);
      expect(r.body.error.code).toBe('ERR_EXPIRED');
    });

    it('a tenant without a provider, and a forged handle, are refused', async () => {
      const t = await makeTenant(h);
      expect((await raw(h, 'POST', '/v1/oidc/device', {}, { tenant: await tenantName(t.tenantId) })).status).toBe(404);
      expect((await raw(h, 'POST', '/v1/oidc/device/token', {}, { handle: `scd_${'A'.repeat(43)}` })).status).toBe(404);
      expect((await raw(h, 'POST', '/v1/oidc/device/token', {}, { handle: 'sct_x' })).status).toBe(400);
    });
  });

  describe('root-key rotation', () => {
    it('re-seals the client secrets: the old key opens none, and the provider still takes the secret', async () => {
      const db = await opts.database();
      const e = await startBroker({ database: db ?? 'pglite:disk' });
      const data = join(e.dir, 'data');
      const database = db ?? `pglite:${join(data, 'db')}`;
      try {
        const t = await makeTenant(e);
        const put = await e.client.call('PUT', '/v1/oidc', {
          token: t.admin,
          body: { ...settings(), redirectUri: `${e.url}/console/api/oidc/callback` },
        });
        expect(put.status).toBe(200);
        const oldKey = new Uint8Array(await readFile(join(data, 'root.key')));
        await e.broker.close();
        const result = await rotateRootKey({ dataDir: data, database });
        expect(result.clientSecrets).toBe(1);
        const newKey = new Uint8Array(await readFile(join(data, 'root.key')));
        const store = await openStore(database);
        let rows: { tenant_id: string; id: string; sealed_secret: Uint8Array }[];
        try {
          rows = await store.query('SELECT tenant_id, id, sealed_secret FROM oidc_client_secrets');
        } finally {
          await store.close();
        }
        expect(rows.length).toBe(1);
        const r = rows[0]!;
        expect(() => openAtRest(oldKey, r.tenant_id, `oidc/${r.id}`, 1, new Uint8Array(r.sealed_secret))).toThrow();
        expect(Buffer.from(openAtRest(newKey, r.tenant_id, `oidc/${r.id}`, 1, new Uint8Array(r.sealed_secret))).toString()).toBe(
          op.clientSecret,
        );
        const port = Number(new URL(e.url).port);
        e.broker = await Broker.open({ dataDir: data, database });
        await e.broker.listen({ host: '127.0.0.1', port });
        const d = await raw(
          e,
          'POST',
          '/v1/oidc/device',
          {},
          {
            tenant: await (async () => {
              const list = await e.client.call('GET', '/v1/tenants', { token: e.operatorToken });
              return list.body.tenants.find((x: { tenantId: string }) => x.tenantId === t.tenantId).name;
            })(),
          },
        );
        expect(d.status, JSON.stringify(d.body)).toBe(200);
      } finally {
        await e.stop();
      }
    }, 120_000);
  });
}
