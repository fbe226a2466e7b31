/**
 * A real OpenID provider for the tests: node-oidc-provider (`oidc-provider`, a certified
 * implementation) on 127.0.0.1, configured here: one confidential client for the broker (code
 * flow with PKCE and the device grant), a groups claim, amr/acr set by the test for each
 * sign-in, and no pages a person would click: the test says who signs in next (`nextLogin`)
 * and the interaction completes itself. `tamper` re-signs the next ID token the token
 * endpoint answers with the provider's own key (a provider that sends a wrong audience, an
 * expired token, another nonce), so the broker's checks meet a token whose signature is good.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { exportJWK, generateKeyPair, decodeJwt, SignJWT, type CryptoKey, type JWTPayload } from 'jose';
import Provider from 'oidc-provider';

export interface TestAccount {
  email: string;
  groups: string[];
}

export interface TestLogin {
  accountId: string;
  amr?: string[];
  acr?: string;
}

export interface TestProvider {
  issuer: string;
  clientId: string;
  clientSecret: string;
  accounts: Map<string, TestAccount>;
  /** Who signs in at the next interaction; undefined: the person refuses (access_denied). */
  nextLogin: TestLogin | undefined;
  /** Changes the claims of the next ID token from the token endpoint (re-signed with the provider's key). */
  tamper: ((claims: JWTPayload) => JWTPayload) | undefined;
  /** Signs the tampered token with this key instead of the provider's (under the provider's kid). */
  tamperKey: CryptoKey | undefined;
  /** How long the next device codes live (RFC 8628 expires_in). */
  deviceCodeSeconds: number;
  /** The authorization requests the provider saw (their query), newest last. */
  authRequests: URLSearchParams[];
  close(): Promise<void>;
}

export async function startProvider(opts: { redirectUri: string }): Promise<TestProvider> {
  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  const jwk = { ...(await exportJWK(privateKey)), kid: 'test-1', alg: 'RS256', use: 'sig' };
  let handler: (req: IncomingMessage, res: ServerResponse) => void = (_req, res) => res.end();
  const server = createServer((req, res) => handler(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const clientSecret = randomBytes(24).toString('base64url');
  const accounts = new Map<string, TestAccount>();

  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: 'sectorcrypt-broker',
        client_secret: clientSecret,
        redirect_uris: [opts.redirectUri],
        grant_types: ['authorization_code', 'urn:ietf:params:oauth:grant-type:device_code'],
        response_types: ['code'],
        token_endpoint_auth_method: 'client_secret_basic',
      },
    ],
    jwks: { keys: [jwk] },
    cookies: { keys: [randomBytes(16).toString('hex')] },
    async findAccount(_ctx, id) {
      const a = accounts.get(id);
      if (!a) return undefined;
      return { accountId: id, claims: async () => ({ sub: id, email: a.email, email_verified: true, groups: a.groups }) };
    },
    claims: { openid: ['sub', 'acr', 'amr', 'auth_time'], email: ['email', 'email_verified'], groups: ['groups'], amr: null },
    scopes: ['openid', 'email', 'groups'],
    // The scope's claims go in the ID token too (the broker reads no userinfo).
    conformIdTokenClaims: false,
    acrValues: ['urn:test:pwd', 'urn:test:mfa'],
    features: {
      devInteractions: { enabled: false },
      deviceFlow: { enabled: true },
      rpInitiatedLogout: { enabled: true },
    },
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    pkce: { required: () => true },
    ttl: {
      AccessToken: 600,
      AuthorizationCode: 60,
      DeviceCode: () => state.deviceCodeSeconds,
      Grant: 3600,
      IdToken: 600,
      Interaction: 600,
      Session: 3600,
    },
  });
  provider.proxy = false;

  const state: TestProvider = {
    issuer,
    clientId: 'sectorcrypt-broker',
    clientSecret,
    accounts,
    nextLogin: undefined,
    tamper: undefined,
    tamperKey: undefined,
    deviceCodeSeconds: 600,
    authRequests: [],
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };

  async function interaction(req: IncomingMessage, res: ServerResponse) {
    const details = await provider.interactionDetails(req, res);
    const login = state.nextLogin;
    if (!login) {
      await provider.interactionFinished(
        req,
        res,
        { error: 'access_denied', error_description: 'refused in the test' },
        { mergeWithLastSubmission: false },
      );
      return;
    }
    if (details.prompt.name === 'login') {
      await provider.interactionFinished(
        req,
        res,
        { login: { accountId: login.accountId, ...(login.amr ? { amr: login.amr } : {}), ...(login.acr ? { acr: login.acr } : {}) } },
        { mergeWithLastSubmission: false },
      );
      return;
    }
    const grant = details.grantId
      ? (await provider.Grant.find(details.grantId))!
      : new provider.Grant({ accountId: details.session!.accountId, clientId: details.params.client_id as string });
    grant.addOIDCScope(String(details.params.scope));
    grant.addOIDCClaims(['email', 'email_verified', 'groups']);
    await provider.interactionFinished(req, res, { consent: { grantId: await grant.save() } }, { mergeWithLastSubmission: true });
  }

  /** Re-signs the ID token of a token endpoint answer with changed claims. */
  function tamperTokenAnswer(res: ServerResponse, change: (claims: JWTPayload) => JWTPayload, key: CryptoKey) {
    const end = res.end.bind(res) as (chunk?: unknown) => ServerResponse;
    res.end = ((chunk?: unknown) => {
      void (async () => {
        const body = JSON.parse(Buffer.from(chunk as Buffer).toString('utf8'));
        if (typeof body.id_token === 'string') {
          const claims = change(decodeJwt(body.id_token));
          body.id_token = await new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid: 'test-1', typ: 'JWT' }).sign(key);
        }
        const text = JSON.stringify(body);
        res.setHeader('content-length', Buffer.byteLength(text));
        end(text);
      })();
      return res;
    }) as typeof res.end;
  }

  const callback = provider.callback();
  handler = (req, res) => {
    const url = new URL(req.url ?? '/', issuer);
    if (url.pathname.startsWith('/interaction/')) {
      interaction(req, res).catch((err) => {
        res.statusCode = 500;
        res.end(String(err));
      });
      return;
    }
    if (url.pathname === '/auth') state.authRequests.push(url.searchParams);
    if (url.pathname === '/token' && req.method === 'POST' && state.tamper) {
      const change = state.tamper;
      const key = state.tamperKey ?? privateKey;
      state.tamper = undefined;
      state.tamperKey = undefined;
      tamperTokenAnswer(res, change, key);
    }
    void callback(req, res);
  };
  return state;
}

/** A browser's cookies, by name (the tests visit one provider and one broker). */
export class CookieJar {
  readonly #cookies = new Map<string, string>();

  store(setCookie: string[]): void {
    for (const line of setCookie) {
      const [pair] = line.split(';');
      const eq = pair!.indexOf('=');
      if (eq < 0) continue;
      const name = pair!.slice(0, eq).trim();
      const value = pair!.slice(eq + 1).trim();
      if (value === '' || /max-age=0/i.test(line) || /expires=Thu, 01 Jan 1970/i.test(line)) this.#cookies.delete(name);
      else this.#cookies.set(name, value);
    }
  }

  header(): string {
    return [...this.#cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  get(name: string): string | undefined {
    return this.#cookies.get(name);
  }
}

/**
 * Follows the provider's redirects as a browser would, until one leaves for `stopAt` (the
 * broker's callback), which is returned without being visited; or the last page, when none does.
 */
export async function browse(
  start: string,
  jar: CookieJar,
  stopAt: string,
  first?: { method: string; form: Record<string, string> },
): Promise<{ stoppedAt?: URL; status: number; body: string }> {
  let url = new URL(start);
  let init: RequestInit | undefined = first
    ? {
        method: first.method,
        body: new URLSearchParams(first.form).toString(),
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      }
    : undefined;
  for (let hops = 0; hops < 20; hops++) {
    const res = await fetch(url, {
      ...init,
      redirect: 'manual',
      headers: { ...(init?.headers as Record<string, string>), cookie: jar.header() },
    });
    jar.store(res.headers.getSetCookie());
    init = undefined;
    const location = res.headers.get('location');
    if (res.status >= 300 && res.status < 400 && location) {
      const next = new URL(location, url);
      if (next.toString().startsWith(stopAt)) return { stoppedAt: next, status: res.status, body: '' };
      url = next;
      continue;
    }
    return { status: res.status, body: await res.text() };
  }
  throw new Error('too many redirects');
}

/** The hidden xsrf field of the provider's device pages. */
export function xsrfOf(html: string): string {
  const m = /name="xsrf" value="([^"]+)"/.exec(html);
  if (!m) throw new Error(`no xsrf in the page: ${html.slice(0, 200)}`);
  return m[1]!;
}
