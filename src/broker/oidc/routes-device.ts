/**
 * `sectorcrypt broker login`: the device authorization grant (RFC 8628) run by the broker as
 * the tenant's client, so that the CLI never holds the client secret nor a provider's token.
 *
 * - POST /v1/oidc/device {tenant}: the broker asks the provider (section 3.1) and answers the
 *   user_code and verification_uri to show (section 3.2), with a handle for the CLI to poll
 *   with; the device_code stays in the broker.
 * - POST /v1/oidc/device/token {handle}: one poll of the token endpoint (section 3.4):
 *   {status: 'pending' | 'slow_down', interval} while the person has not finished
 *   (slow_down adds 5 seconds, section 3.5, and a poll before the interval is up is answered
 *   slow_down without asking the provider), ERR_DENIED for access_denied, ERR_EXPIRED for
 *   expired_token, and once signed in a broker session (201), used once.
 */
import type { Endpoint } from '../http/endpoint.js';
import type { Principal } from '../auth/principal.js';
import { appendAudit } from '../audit/log.js';
import { revokeSession } from '../auth/repository.js';
import { errorSchema, fail } from '../http/errors.js';
import { object } from '../http/schemas.js';
import { SectorCryptError } from '../../errors.js';
import { newToken, tokenHash } from '../auth/secrets.js';
import { discover, postForm } from './protocol.js';
import { clientCredentials, idTokenClaims, providerError, signInPerson } from './service.js';
import * as repo from './repository.js';

/** A CLI's session lasts this long: `broker login` again after. */
export const CLI_SESSION_SECONDS = 3600;
const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';

const startAnswer = object({
  handle: { type: 'string' },
  userCode: { type: 'string' },
  verificationUri: { type: 'string' },
  verificationUriComplete: { type: 'string' },
  interval: { type: 'integer' },
  expiresIn: { type: 'integer' },
});

export const deviceStart: Endpoint<undefined> = {
  schema: {
    body: object({ tenant: { type: 'string', minLength: 1, maxLength: 128, pattern: '^[A-Za-z0-9][A-Za-z0-9._@-]*$' } }, ['tenant']),
    response: { 200: startAnswer, '4xx': errorSchema },
  },
  async handle(ctx, req) {
    const { tenant } = req.body as { tenant: string };
    const p = await repo.providerByTenantName(ctx.db, tenant);
    if (!p) fail('ERR_NOT_FOUND', 'this tenant signs in with API tokens only (no OpenID provider)');
    const meta = await discover(p.settings.issuer);
    if (!meta.device_authorization_endpoint) fail('ERR_UNSUPPORTED', 'the provider offers no device authorization endpoint');
    const creds = await clientCredentials(ctx, p);
    let a;
    try {
      a = await postForm(meta.device_authorization_endpoint, creds, { client_id: p.settings.clientId, scope: p.settings.scopes.join(' ') });
    } finally {
      creds.clientSecret.fill(0);
    }
    const b = a.body;
    if (a.status !== 200)
      throw new SectorCryptError('ERR_UNAUTHENTICATED', `the provider refused the device sign-in (${providerError(b)})`);
    const text = (v: unknown, max: number) => (typeof v === 'string' && v.length > 0 && v.length <= max ? v : undefined);
    const deviceCode = text(b.device_code, 2048);
    const userCode = text(b.user_code, 64);
    const verificationUri = text(b.verification_uri, 512);
    const expiresIn = typeof b.expires_in === 'number' && b.expires_in > 0 ? Math.min(Math.floor(b.expires_in), 1800) : undefined;
    if (!deviceCode || !userCode || !verificationUri || !expiresIn)
      throw new SectorCryptError('ERR_UNAUTHENTICATED', "the provider's device answer lacks a field of RFC 8628 section 3.2");
    const interval = typeof b.interval === 'number' && b.interval >= 1 ? Math.min(Math.floor(b.interval), 60) : 5;
    const handle = newToken('scs').replace(/^scs_/, 'scd_');
    await ctx.db.tx((q) =>
      repo.insertLogin(q, {
        tenantId: p.tenant_id,
        handleHash: tokenHash(handle),
        kind: 'device',
        deviceCode,
        intervalSeconds: interval,
        seconds: expiresIn,
      }),
    );
    const complete = text(b.verification_uri_complete, 1024);
    return { handle, userCode, verificationUri, ...(complete ? { verificationUriComplete: complete } : {}), interval, expiresIn };
  },
};

const pollAnswer = object({
  status: { type: 'string' },
  interval: { type: 'integer' },
  session: { type: 'string' },
  expiresAt: { type: 'string' },
  tenantId: { type: 'string' },
  userId: { type: 'string' },
  roles: { type: 'array', items: { type: 'string' } },
});

export const deviceToken: Endpoint<undefined> = {
  schema: {
    body: object({ handle: { type: 'string', pattern: '^scd_[A-Za-z0-9_-]{43}$' } }, ['handle']),
    response: { 200: pollAnswer, 201: pollAnswer, '4xx': errorSchema },
  },
  async handle(ctx, req, reply) {
    const hash = tokenHash((req.body as { handle: string }).handle);
    const early = await ctx.db.tx(async (q) => {
      const l = await repo.lockLogin(q, hash);
      if (!l || l.kind !== 'device') fail('ERR_NOT_FOUND', 'unknown sign-in (broker login again)');
      if (l.used_at) fail('ERR_REPLAY', 'this sign-in is over (broker login again)');
      if (new Date(l.expires_at) <= new Date()) fail('ERR_EXPIRED', 'the code expired before the sign-in ended (broker login again)');
      const interval = l.interval_seconds ?? 5;
      if (l.next_poll_at && new Date(l.next_poll_at) > new Date()) {
        await repo.nextPoll(q, hash, interval + 5);
        return { slowDown: interval + 5 };
      }
      await repo.nextPoll(q, hash, interval);
      return { login: l, interval };
    });
    if ('slowDown' in early) return { status: 'slow_down', interval: early.slowDown };
    const { login, interval } = early;
    const p = await repo.getProvider(ctx.db, login.tenant_id);
    if (!p) fail('ERR_NOT_FOUND', 'this tenant has no OpenID provider any more');
    const meta = await discover(p.settings.issuer);
    const creds = await clientCredentials(ctx, p);
    let a;
    try {
      a = await postForm(meta.token_endpoint, creds, {
        grant_type: DEVICE_GRANT,
        device_code: login.device_code!,
        client_id: p.settings.clientId,
      });
    } finally {
      creds.clientSecret.fill(0);
    }
    if (a.status !== 200) {
      const error = providerError(a.body);
      if (error === 'authorization_pending') return { status: 'pending', interval };
      if (error === 'slow_down') {
        await ctx.db.tx((q) => repo.nextPoll(q, hash, interval + 5));
        return { status: 'slow_down', interval: interval + 5 };
      }
      await ctx.db.tx((q) => repo.useLogin(q, hash));
      if (error === 'access_denied') fail('ERR_DENIED', 'the sign-in was refused at the provider');
      if (error === 'expired_token') fail('ERR_EXPIRED', 'the code expired before the sign-in ended (broker login again)');
      throw new SectorCryptError('ERR_UNAUTHENTICATED', `the provider refused the device sign-in (${error})`);
    }
    if (!(await ctx.db.tx((q) => repo.useLogin(q, hash)))) fail('ERR_REPLAY', 'this sign-in is over (broker login again)');
    const claims = await idTokenClaims(ctx, meta, p, a.body, undefined);
    const s = await signInPerson(ctx, p, claims, { client: 'cli', seconds: CLI_SESSION_SECONDS, sourceIp: req.ip });
    return reply.status(201).send({
      status: 'done',
      session: s.session,
      expiresAt: new Date(Date.now() + CLI_SESSION_SECONDS * 1000).toISOString(),
      tenantId: p.tenant_id,
      userId: s.userId,
      roles: s.roles,
    });
  },
};

/** DELETE /v1/session: `broker logout` ends the broker session it was called with. */
export const endSession: Endpoint<Principal> = {
  schema: { response: { 200: object({ signedOut: { type: 'boolean' } }), '4xx': errorSchema } },
  async handle(ctx, req, _reply, who) {
    if (who.via !== 'session' || !who.tokenHash || req.headers.authorization === undefined)
      fail('ERR_CONFLICT', 'this call ends a session from broker login; an API token is revoked with POST /v1/tokens/:id/revoke');
    const hash = who.tokenHash;
    await ctx.db.tx(async (q) => {
      await revokeSession(q, hash);
      await appendAudit(q, who.tenantId, {
        actor: who.userId,
        action: 'session.revoke',
        target: null,
        outcome: 'success',
        ...(who.signIn ? { reasons: { client: 'cli', provider: who.signIn.provider, subject: who.signIn.subject } } : {}),
        sourceIp: req.ip,
      });
    });
    return { signedOut: true };
  },
};
