/**
 * Sign-in through a tenant's OpenID provider (docs/broker.md "Sign-in through an OpenID
 * provider"): the provider's settings (a change waits for a second vouched admin once two
 * exist, as trusting an attestation issuer does), the client secret sealed under the root
 * key, and what a verified ID token becomes: a person of the tenant whose roles come ONLY from
 * the provider's groups, and a short broker session that remembers how they signed in.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { JWTPayload } from 'jose';
import type { BrokerContext } from '../context.js';
import type { Principal, Role, SignIn } from '../auth/principal.js';
import type { Sql } from '../store/types.js';
import { SectorCryptError } from '../../errors.js';
import { appendAudit } from '../audit/log.js';
import { newId, newToken, tokenHash } from '../auth/secrets.js';
import { openAtRest, sealAtRest } from '../root-key/seal.js';
import { requestAction, twoPersonEnforced, type PendingAnswer } from '../separation/service.js';
import { insertProviderSession } from '../auth/repository.js';
import { insertOidcUser, lockOidcUser, setOidcRoles, userNameTaken } from '../accounts/repository.js';
import { checkDomain, checkSettings, rolesFromClaims, type ProviderSettings, type SettingsBody } from './settings.js';
import { forgetProvider, verifyIdToken, type ClientCredentials, type ProviderMetadata } from './protocol.js';
import * as repo from './repository.js';

function secretKeyId(secretId: string): string {
  return `oidc/${secretId}`;
}

/** Seals an admin's client secret; its id goes in the settings or the pending action. */
async function storeSecret(q: Sql, ctx: BrokerContext, tenantId: string, secret: string): Promise<string> {
  const id = newId('ocs');
  const bytes = new Uint8Array(Buffer.from(secret, 'utf8'));
  try {
    await repo.insertSecret(q, tenantId, id, sealAtRest(ctx.rootKey, tenantId, secretKeyId(id), 1, bytes));
  } finally {
    bytes.fill(0);
  }
  return id;
}

/** The client's id and secret, opened; the caller wipes clientSecret. */
export async function clientCredentials(ctx: BrokerContext, p: repo.ProviderRow): Promise<ClientCredentials> {
  const sealed = await repo.getSecret(ctx.db, p.tenant_id, p.secret_id);
  if (!sealed) throw new SectorCryptError('ERR_NOT_FOUND', "the provider's client secret is missing");
  return { clientId: p.settings.clientId, clientSecret: openAtRest(ctx.rootKey, p.tenant_id, secretKeyId(p.secret_id), 1, sealed) };
}

/** Re-seals one client secret under a new root key (root-key/rotate.ts); the plaintext lives between the two calls. */
export function resealClientSecret(
  oldKey: Uint8Array,
  newKey: Uint8Array,
  r: { tenant_id: string; id: string; sealed_secret: Uint8Array },
): Uint8Array {
  const secret = openAtRest(oldKey, r.tenant_id, secretKeyId(r.id), 1, new Uint8Array(r.sealed_secret));
  try {
    return sealAtRest(newKey, r.tenant_id, secretKeyId(r.id), 1, secret);
  } finally {
    secret.fill(0);
  }
}

/** What an admin sees of the settings: never the secret. */
export function describeSettings(p: repo.ProviderRow) {
  return { ...p.settings, clientSecret: 'sealed', updatedBy: p.updated_by, updatedAt: new Date(p.updated_at).toISOString() };
}

/** PUT /v1/oidc: applied at once, or a pending action when two-person rules hold. */
export async function putProvider(
  q: Sql,
  ctx: BrokerContext,
  admin: Principal,
  body: SettingsBody,
  sourceIp: string,
): Promise<PendingAnswer | undefined> {
  const settings = checkSettings(body);
  const secretId = await storeSecret(q, ctx, admin.tenantId, body.clientSecret);
  if (await twoPersonEnforced(q, admin.tenantId)) {
    return requestAction(
      q,
      admin,
      {
        kind: 'oidc.update',
        target: settings.issuer,
        payload: { settings, secretId },
        reason: "the provider's groups grant roles in this tenant, approver and admin among them",
      },
      sourceIp,
    );
  }
  await applyProvider(q, admin.tenantId, admin.userId, { settings, secretId }, sourceIp, null);
  return undefined;
}

/** Stores the settings (now, or once a second admin confirmed them: separation/apply.ts). */
export async function applyProvider(
  q: Sql,
  tenantId: string,
  actor: string,
  p: { settings: ProviderSettings; secretId: string },
  sourceIp: string,
  actionId: string | null,
): Promise<void> {
  const before = await repo.getProvider(q, tenantId);
  await repo.upsertProvider(q, tenantId, p.secretId, p.settings, actor);
  // Sessions made under the old mapping end: their roles may no longer be granted.
  await repo.revokeProviderSessions(q, tenantId);
  await repo.dropUnusedSecrets(q, tenantId);
  await appendAudit(q, tenantId, {
    actor,
    action: 'oidc.update',
    target: p.settings.issuer,
    outcome: 'success',
    reasons: { settings: p.settings, secretId: p.secretId, ...(actionId ? { actionId } : {}) },
    sourceIp,
  });
  if (before) forgetProvider(before.settings.issuer);
  forgetProvider(p.settings.issuer);
}

/** 32 random bytes, base64url: state, nonce, PKCE verifier (RFC 7636 section 4.1: 43 characters). */
export function randomValue(): string {
  return randomBytes(32).toString('base64url');
}

export function pkceChallenge(verifier: string): string {
  return createHash('sha256').update(verifier, 'ascii').digest('base64url');
}

/** A user name from the claims: the email or preferred_username when they fit, else the subject. */
async function userName(q: Sql, tenantId: string, claims: JWTPayload): Promise<string> {
  const pick = [claims.email, claims.preferred_username, claims.sub].find(
    (v): v is string => typeof v === 'string' && /^[A-Za-z0-9][A-Za-z0-9._@-]{0,100}$/.test(v),
  );
  const base = pick ?? `oidc-${createHash('sha256').update(String(claims.sub)).digest('hex').slice(0, 16)}`;
  if (!(await userNameTaken(q, tenantId, base))) return base;
  return `${base}.${createHash('sha256').update(String(claims.sub)).digest('hex').slice(0, 8)}`;
}

export interface SignedIn {
  session: string;
  userId: string;
  roles: Role[];
  signIn: SignIn;
}

/** What the ID token says of how the person signed in (Core 1.0 section 2: amr, acr, auth_time). */
function signInOf(p: repo.ProviderRow, claims: JWTPayload): SignIn {
  const amr = Array.isArray(claims.amr) ? claims.amr.filter((m): m is string => typeof m === 'string' && m.length <= 64).slice(0, 16) : [];
  const acr = typeof claims.acr === 'string' && claims.acr.length <= 256 ? claims.acr : undefined;
  const authTime =
    typeof claims.auth_time === 'number' && Number.isFinite(claims.auth_time) ? new Date(claims.auth_time * 1000) : undefined;
  return {
    provider: p.settings.issuer,
    subject: claims.sub!,
    amr,
    ...(acr !== undefined ? { acr } : {}),
    ...(authTime && !Number.isNaN(authTime.getTime()) ? { authTime: authTime.toISOString() } : {}),
  };
}

/**
 * A verified ID token becomes a session: the domain and the groups are checked (a refusal is
 * audited), the person is found or made by issuer and subject, their roles are set from the
 * groups, and the session is recorded with how they signed in.
 */
export async function signInPerson(
  ctx: BrokerContext,
  p: repo.ProviderRow,
  claims: JWTPayload,
  how: { client: 'console' | 'cli'; seconds: number; sourceIp: string },
): Promise<SignedIn> {
  const signIn = signInOf(p, claims);
  let roles: Role[];
  try {
    checkDomain(p.settings, claims);
    roles = rolesFromClaims(p.settings, claims);
  } catch (err) {
    await ctx.db.tx((q) =>
      appendAudit(q, p.tenant_id, {
        actor: `oidc:${signIn.subject}`,
        action: 'session.create',
        target: null,
        outcome: 'failure',
        reasons: {
          provider: signIn.provider,
          subject: signIn.subject,
          client: how.client,
          error: (err as Error).message.replace(/ \(ERR_[A-Z_]+\)$/, ''),
        },
        sourceIp: how.sourceIp,
      }),
    );
    throw err;
  }
  const session = newToken('scs');
  const userId = await ctx.db.tx(async (q) => {
    const found = await lockOidcUser(q, p.tenant_id, signIn.provider, signIn.subject);
    let id: string;
    if (found) {
      if (found.disabled_at) throw new SectorCryptError('ERR_UNAUTHENTICATED', 'this person was disabled in the broker');
      id = found.id;
      await setOidcRoles(q, p.tenant_id, id, roles);
    } else {
      id = newId('usr');
      await insertOidcUser(q, {
        tenantId: p.tenant_id,
        id,
        name: await userName(q, p.tenant_id, claims),
        roles,
        issuer: signIn.provider,
        subject: signIn.subject,
      });
    }
    await insertProviderSession(q, {
      tenantId: p.tenant_id,
      sessionHash: tokenHash(session),
      userId: id,
      roles,
      provider: signIn.provider,
      subject: signIn.subject,
      amr: signIn.amr,
      acr: signIn.acr ?? null,
      authTime: signIn.authTime ? new Date(signIn.authTime) : null,
      seconds: how.seconds,
    });
    await appendAudit(q, p.tenant_id, {
      actor: id,
      action: 'session.create',
      target: null,
      outcome: 'success',
      reasons: { client: how.client, roles, ...signIn },
      sourceIp: how.sourceIp,
    });
    return id;
  });
  return { session, userId, roles, signIn };
}

/** Checks an ID token from the provider's token endpoint answer (code or device grant). */
export async function idTokenClaims(
  ctx: BrokerContext,
  meta: ProviderMetadata,
  p: repo.ProviderRow,
  answer: Record<string, unknown>,
  nonce: string | undefined,
): Promise<JWTPayload> {
  if (typeof answer.id_token !== 'string') throw new SectorCryptError('ERR_UNAUTHENTICATED', 'the provider sent no ID token');
  return verifyIdToken(answer.id_token, {
    meta,
    clientId: p.settings.clientId,
    nonce,
    ...(typeof answer.access_token === 'string' ? { accessToken: answer.access_token } : {}),
    now: ctx.now(),
  });
}

/** The provider's error code, when it is one (RFC 6749 section 5.2: error is %x20-21 / %x23-5B / %x5D-7E). */
export function providerError(body: Record<string, unknown>): string {
  return typeof body.error === 'string' && /^[a-z_]{1,64}$/.test(body.error) ? body.error : 'invalid answer';
}
