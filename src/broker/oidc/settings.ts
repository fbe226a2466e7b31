/**
 * A tenant's provider settings (docs/broker.md "Sign-in through an OpenID provider"): what an
 * admin sends, checked here, and what a sign-in makes of the provider's claims: the roles (ONLY
 * from the groups claim through the mapping) and whether a sign-in shows a second factor.
 */
import { SectorCryptError } from '../../errors.js';
import type { Role } from '../auth/principal.js';
import { checkProviderUrl } from './protocol.js';

/** The roles a provider's group may grant; operator never comes from a provider. */
export const MAPPED_ROLES = ['admin', 'approver', 'auditor'] as const;
export type MappedRole = (typeof MAPPED_ROLES)[number];

export interface ProviderSettings {
  issuer: string;
  clientId: string;
  /** The broker's callback exactly as registered at the provider (…/console/api/oidc/callback). */
  redirectUri: string;
  scopes: string[];
  /** Only people of these domains: Google's `hd`, or the domain of a verified `email`. */
  domains?: string[];
  /** The claim holding the person's groups (Entra ID, Okta, Keycloak: `groups`). */
  groupsClaim: string;
  /** Group -> role: a group listed under a role grants it. */
  roles: Partial<Record<MappedRole, string[]>>;
  /** `acr` values the tenant counts as a second factor (besides an `amr` that shows one). */
  mfaAcrValues?: string[];
  /** false: no approver's vote from a local API token or a session made from one. */
  localTokenVotes: boolean;
}

/** What PUT /v1/oidc takes (the secret goes apart, sealed). */
export const settingsBody = {
  type: 'object',
  additionalProperties: false,
  required: ['issuer', 'clientId', 'clientSecret', 'redirectUri', 'roles'],
  properties: {
    issuer: { type: 'string', minLength: 8, maxLength: 512 },
    clientId: { type: 'string', minLength: 1, maxLength: 256, pattern: '^[\\x21-\\x7e]+$' },
    clientSecret: { type: 'string', minLength: 8, maxLength: 512, pattern: '^[\\x20-\\x7e]+$' },
    redirectUri: { type: 'string', minLength: 8, maxLength: 512 },
    scopes: {
      type: 'array',
      maxItems: 16,
      items: { type: 'string', minLength: 1, maxLength: 64, pattern: '^[\\x21\\x23-\\x5b\\x5d-\\x7e]+$' },
    },
    domains: {
      type: 'array',
      minItems: 1,
      maxItems: 32,
      items: { type: 'string', minLength: 1, maxLength: 253, pattern: '^[a-z0-9.-]+$' },
    },
    groupsClaim: { type: 'string', minLength: 1, maxLength: 128, pattern: '^[A-Za-z0-9_:./-]+$' },
    roles: {
      type: 'object',
      additionalProperties: false,
      properties: Object.fromEntries(
        MAPPED_ROLES.map((r) => [r, { type: 'array', maxItems: 64, items: { type: 'string', minLength: 1, maxLength: 256 } }]),
      ),
    },
    mfaAcrValues: { type: 'array', maxItems: 16, items: { type: 'string', minLength: 1, maxLength: 256, pattern: '^[\\x21-\\x7e]+$' } },
    localTokenVotes: { type: 'boolean' },
  },
} as const;

export type SettingsBody = Omit<ProviderSettings, 'scopes' | 'groupsClaim' | 'localTokenVotes'> & {
  clientSecret: string;
  scopes?: string[];
  groupsClaim?: string;
  localTokenVotes?: boolean;
};

/** The settings to store, or ERR_ARGUMENT. */
export function checkSettings(body: SettingsBody): ProviderSettings {
  checkProviderUrl(body.issuer, 'issuer', true);
  const redirect = checkProviderUrl(body.redirectUri, 'redirectUri');
  if (redirect.pathname !== '/console/api/oidc/callback' || redirect.search || redirect.hash)
    throw new SectorCryptError('ERR_ARGUMENT', "redirectUri must be the broker's https://<host>/console/api/oidc/callback, without query");
  const scopes = body.scopes ?? ['openid', 'email', 'profile'];
  if (!scopes.includes('openid')) throw new SectorCryptError('ERR_ARGUMENT', 'scopes must include openid');
  const granted = MAPPED_ROLES.flatMap((r) => body.roles[r] ?? []);
  if (granted.length === 0) throw new SectorCryptError('ERR_ARGUMENT', 'roles must map at least one group to admin, approver or auditor');
  const admins = new Set(body.roles.admin ?? []);
  const both = (body.roles.approver ?? []).find((g) => admins.has(g));
  if (both !== undefined)
    throw new SectorCryptError('ERR_ARGUMENT', `the group ${JSON.stringify(both)} maps to both admin and approver (separation of duties)`);
  return {
    issuer: body.issuer,
    clientId: body.clientId,
    redirectUri: body.redirectUri,
    scopes: [...new Set(scopes)],
    ...(body.domains ? { domains: [...new Set(body.domains)] } : {}),
    groupsClaim: body.groupsClaim ?? 'groups',
    roles: Object.fromEntries(MAPPED_ROLES.filter((r) => body.roles[r]?.length).map((r) => [r, [...new Set(body.roles[r])]])),
    ...(body.mfaAcrValues?.length ? { mfaAcrValues: [...new Set(body.mfaAcrValues)] } : {}),
    localTokenVotes: body.localTokenVotes ?? true,
  };
}

/** The person's roles from the groups claim, or ERR_FORBIDDEN naming why none. */
export function rolesFromClaims(s: ProviderSettings, claims: Record<string, unknown>): Role[] {
  const raw = claims[s.groupsClaim];
  const groups = Array.isArray(raw) ? raw.filter((g): g is string => typeof g === 'string') : typeof raw === 'string' ? [raw] : [];
  if (groups.length === 0)
    throw new SectorCryptError(
      'ERR_FORBIDDEN',
      `the provider sent no ${s.groupsClaim} claim: no role can be granted (ask for the groups scope or claim)`,
    );
  const roles = MAPPED_ROLES.filter((r) => (s.roles[r] ?? []).some((g) => groups.includes(g)));
  if (roles.length === 0)
    throw new SectorCryptError('ERR_FORBIDDEN', "none of the person's groups maps to a role of this tenant (admin, approver, auditor)");
  if (roles.includes('admin') && roles.includes('approver'))
    throw new SectorCryptError('ERR_FORBIDDEN', "the person's groups map to both admin and approver: refused (separation of duties)");
  return roles;
}

/** Refuses a person outside the allowed domains: Google's `hd`, else a verified email's domain. */
export function checkDomain(s: ProviderSettings, claims: Record<string, unknown>): void {
  if (!s.domains) return;
  const hd = typeof claims.hd === 'string' ? claims.hd.toLowerCase() : undefined;
  const email = typeof claims.email === 'string' && claims.email_verified === true ? claims.email.toLowerCase() : undefined;
  const domain = hd ?? (email?.includes('@') ? email.slice(email.lastIndexOf('@') + 1) : undefined);
  if (domain === undefined || !s.domains.includes(domain))
    throw new SectorCryptError('ERR_FORBIDDEN', 'the person is not of a domain this tenant allows (hd, or a verified email)');
}

/**
 * RFC 8176 section 2 names the methods; a second factor shows as `mfa`, or two methods of which
 * one is not a password (`pwd`, `pin`, `kba`), or an `acr` the tenant counts as one.
 */
export function showsSecondFactor(s: ProviderSettings | undefined, amr: string[], acr: string | undefined): boolean {
  if (amr.includes('mfa')) return true;
  const knowledge = new Set(['pwd', 'pin', 'kba']);
  if (new Set(amr).size >= 2 && amr.some((m) => !knowledge.has(m))) return true;
  return acr !== undefined && (s?.mfaAcrValues ?? []).includes(acr);
}
