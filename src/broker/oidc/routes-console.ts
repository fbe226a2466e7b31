/**
 * The console's sign-in through the tenant's provider: the authorization code flow with PKCE
 * (OpenID Connect Core 1.0 section 3.1; RFC 7636 with S256).
 *
 * - GET /console/api/oidc/start?tenant=NAME[&stepUp=true]: a fresh state, nonce and PKCE
 *   verifier, stored by the state's hash for ten minutes, and a binding cookie (SameSite=Lax,
 *   so that it comes back with the provider's redirect) whose hash the state keeps: a code
 *   arriving in another browser is refused (login CSRF, RFC 6749 section 10.12). Step-up asks
 *   the provider for a fresh sign-in (max_age=0) with the tenant's second-factor acr_values.
 * - GET /console/api/oidc/callback?code&state: the state is used once, the code exchanged at
 *   the token endpoint with the exact redirect URI and the verifier, the ID token checked
 *   (protocol.ts), and the session cookie set (auth/console-session.ts).
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { BrokerContext } from '../context.js';
import type { Endpoint } from '../http/endpoint.js';
import { errorSchema, fail } from '../http/errors.js';
import { object } from '../http/schemas.js';
import { SectorCryptError } from '../../errors.js';
import { constantTimeEqual, tokenHash } from '../auth/secrets.js';
import { sessionCookie, SESSION_SECONDS } from '../auth/console-session.js';
import { discover, postForm } from './protocol.js';
import { clientCredentials, idTokenClaims, pkceChallenge, providerError, randomValue, signInPerson } from './service.js';
import * as repo from './repository.js';

export const BINDING_COOKIE = '__Host-sectorcrypt-oidc';
const LOGIN_SECONDS = 600;
const VALUE = '^[A-Za-z0-9_-]{43}$';

function bindingCookie(value: string, maxAge: number): string {
  return `${BINDING_COOKIE}=${value}; Path=/; Max-Age=${maxAge}; HttpOnly; Secure; SameSite=Lax`;
}

function readBinding(req: FastifyRequest): string | undefined {
  const header = req.headers.cookie;
  if (typeof header !== 'string') return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq >= 0 && part.slice(0, eq).trim() === BINDING_COOKIE) return part.slice(eq + 1).trim();
  }
  return undefined;
}

export const oidcStart: Endpoint<undefined> = {
  schema: {
    querystring: object(
      {
        tenant: { type: 'string', minLength: 1, maxLength: 128, pattern: '^[A-Za-z0-9][A-Za-z0-9._@-]*$' },
        stepUp: { enum: ['true', 'false'] },
      },
      ['tenant'],
    ),
    response: { '4xx': errorSchema },
  },
  async handle(ctx, req, reply) {
    const { tenant, stepUp } = req.query as { tenant: string; stepUp?: string };
    const p = await repo.providerByTenantName(ctx.db, tenant);
    if (!p) fail('ERR_NOT_FOUND', 'this tenant signs in with API tokens only (no OpenID provider)');
    const meta = await discover(p.settings.issuer);
    const state = randomValue();
    const nonce = randomValue();
    const verifier = randomValue();
    const binding = randomValue();
    await ctx.db.tx((q) =>
      repo.insertLogin(q, {
        tenantId: p.tenant_id,
        handleHash: tokenHash(state),
        kind: 'browser',
        bindingHash: tokenHash(binding),
        nonce,
        codeVerifier: verifier,
        seconds: LOGIN_SECONDS,
      }),
    );
    const url = new URL(meta.authorization_endpoint);
    const params: Record<string, string> = {
      response_type: 'code',
      client_id: p.settings.clientId,
      redirect_uri: p.settings.redirectUri,
      scope: p.settings.scopes.join(' '),
      state,
      nonce,
      code_challenge: pkceChallenge(verifier),
      code_challenge_method: 'S256',
    };
    if (stepUp === 'true') {
      // Core 1.0 section 3.1.2.1: max_age=0 asks for a sign-in now; acr_values for its strength.
      params.max_age = '0';
      if (p.settings.mfaAcrValues?.length) params.acr_values = p.settings.mfaAcrValues.join(' ');
    }
    for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
    return reply
      .header('set-cookie', bindingCookie(binding, LOGIN_SECONDS))
      .header('cache-control', 'no-store')
      .redirect(url.toString(), 302);
  },
};

export const oidcCallback: Endpoint<undefined> = {
  schema: {
    querystring: {
      type: 'object',
      required: ['state'],
      properties: {
        state: { type: 'string', pattern: VALUE },
        code: { type: 'string', minLength: 1, maxLength: 2048 },
        error: { type: 'string', maxLength: 256 },
        // The provider may add its own (iss, session_state, error_description): read none of them.
      },
    },
    response: { '4xx': errorSchema },
  },
  async handle(ctx, req, reply) {
    try {
      return await finishSignIn(ctx, req, reply);
    } catch (err) {
      // A browser goes back to the sign-in page, which shows why; an API client gets the error.
      if (!(err instanceof SectorCryptError) || !String(req.headers.accept ?? '').includes('text/html')) throw err;
      const why = `${err.code}: ${err.message.replace(/ \(ERR_[A-Z_]+\)$/, '')}`;
      return reply
        .header('set-cookie', bindingCookie('', 0))
        .header('cache-control', 'no-store')
        .redirect(`/console/?signin_error=${encodeURIComponent(why)}`, 303);
    }
  },
};

async function finishSignIn(ctx: BrokerContext, req: FastifyRequest, reply: FastifyReply): Promise<unknown> {
  const { state, code, error } = req.query as { state: string; code?: string; error?: string };
  const binding = readBinding(req);
  const handle = tokenHash(state);
  const login = await ctx.db.tx(async (q) => {
    const l = await repo.lockLogin(q, handle);
    if (!l || l.kind !== 'browser') fail('ERR_UNAUTHENTICATED', 'unknown sign-in state (start again)');
    if (l.used_at) fail('ERR_REPLAY', 'this sign-in was already used (start again)');
    if (new Date(l.expires_at) <= new Date()) fail('ERR_EXPIRED', 'this sign-in took too long (start again)');
    if (binding === undefined || !constantTimeEqual(Buffer.from(tokenHash(binding)), Buffer.from(l.binding_hash ?? '')))
      fail('ERR_UNAUTHENTICATED', 'this sign-in was started in another browser');
    await repo.useLogin(q, handle);
    return l;
  });
  if (error !== undefined) fail('ERR_DENIED', `the provider refused the sign-in (${/^[a-z_]{1,64}$/.test(error) ? error : 'error'})`);
  if (code === undefined) fail('ERR_ARGUMENT', 'the provider sent no code');
  const p = await repo.getProvider(ctx.db, login.tenant_id);
  if (!p) fail('ERR_NOT_FOUND', 'this tenant has no OpenID provider any more');
  const meta = await discover(p.settings.issuer);
  const creds = await clientCredentials(ctx, p);
  let answer;
  try {
    answer = await postForm(meta.token_endpoint, creds, {
      grant_type: 'authorization_code',
      code,
      redirect_uri: p.settings.redirectUri,
      code_verifier: login.code_verifier!,
    });
  } finally {
    creds.clientSecret.fill(0);
  }
  if (answer.status !== 200)
    throw new SectorCryptError('ERR_UNAUTHENTICATED', `the provider refused the code (${providerError(answer.body)})`);
  const claims = await idTokenClaims(ctx, meta, p, answer.body, login.nonce!);
  const s = await signInPerson(ctx, p, claims, { client: 'console', seconds: SESSION_SECONDS, sourceIp: req.ip });
  return reply
    .header('set-cookie', [sessionCookie(s.session, SESSION_SECONDS), bindingCookie('', 0)])
    .header('cache-control', 'no-store')
    .redirect('/console/', 303);
}
