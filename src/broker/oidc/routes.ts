/**
 * The tenant's OpenID provider, as its admins set it (docs/api.md "OpenID provider"):
 * PUT /v1/oidc stores it (202 and a pending action once two-person rules hold), GET shows it
 * without the client secret.
 */
import type { Endpoint } from '../http/endpoint.js';
import type { Principal } from '../auth/principal.js';
import { errorSchema, fail } from '../http/errors.js';
import { object, pendingActionSchema } from '../http/schemas.js';
import { describeSettings, putProvider } from './service.js';
import { getProvider } from './repository.js';
import { settingsBody, type SettingsBody } from './settings.js';

const strings = { type: 'array', items: { type: 'string' } } as const;
const settingsAnswer = object({
  issuer: { type: 'string' },
  clientId: { type: 'string' },
  clientSecret: { type: 'string' },
  redirectUri: { type: 'string' },
  scopes: strings,
  domains: strings,
  groupsClaim: { type: 'string' },
  roles: object({ admin: strings, approver: strings, auditor: strings }),
  mfaAcrValues: strings,
  localTokenVotes: { type: 'boolean' },
  updatedBy: { type: 'string' },
  updatedAt: { type: 'string' },
});

export const putOidc: Endpoint<Principal> = {
  schema: { body: settingsBody, response: { 200: settingsAnswer, 202: pendingActionSchema, '4xx': errorSchema } },
  async handle(ctx, req, reply, admin) {
    const body = req.body as SettingsBody;
    const pending = await ctx.db.tx((q) => putProvider(q, ctx, admin, body, req.ip));
    if (pending) return reply.status(202).send(pending);
    return describeSettings((await getProvider(ctx.db, admin.tenantId))!);
  },
};

export const getOidc: Endpoint<Principal> = {
  schema: { response: { 200: settingsAnswer, '4xx': errorSchema } },
  async handle(ctx, _req, _reply, admin) {
    const p = await getProvider(ctx.db, admin.tenantId);
    if (!p) fail('ERR_NOT_FOUND', 'this tenant has no OpenID provider');
    return describeSettings(p);
  },
};
