/** What each kind of pending action does once a second admin confirmed it (routes.ts confirmAction). */
import type { BrokerContext } from '../context.js';
import type { Sql } from '../store/types.js';
import { appendAudit } from '../audit/log.js';
import { deletePolicy, saveIssuer, savePolicy, type IssuerDocument } from '../policy/repository.js';
import type { Policy } from '../policy/types.js';
import {
  createInvitation,
  disableUser,
  grantedPrivileges,
  keepAnAdmin,
  lockUser,
  revokeCredentials,
  setRoles,
  type Actor,
  type Invitation,
} from '../accounts/service.js';
import { eraseKey } from '../keys/erase.js';
import { applyProvider } from '../oidc/service.js';
import type { ProviderSettings } from '../oidc/settings.js';
import type { ActionKind, PendingRow } from './repository.js';

type Apply = (q: Sql, ctx: BrokerContext, by: Actor & { actionId: string }, a: PendingRow) => Promise<{ invitation?: Invitation } | void>;

export const APPLY: Record<ActionKind, Apply> = {
  'key.destroy': async (q, ctx, by, a) => {
    await eraseKey(q, ctx, by.tenantId, a.target);
    await appendAudit(q, by.tenantId, {
      actor: by.userId,
      action: 'key.destroy',
      target: a.target,
      outcome: 'success',
      reasons: { actionId: by.actionId, requestedBy: a.requested_by },
      sourceIp: by.sourceIp,
    });
  },
  'policy.update': async (q, _ctx, by, a) => {
    await savePolicy(q, by.tenantId, by.userId, a.payload as Policy, by.sourceIp, by.actionId);
  },
  'policy.delete': async (q, _ctx, by, a) => {
    await deletePolicy(q, by.tenantId, by.userId, a.target, by.sourceIp, by.actionId);
  },
  'issuer.update': async (q, _ctx, by, a) => {
    await saveIssuer(q, by.tenantId, by.userId, a.payload as IssuerDocument, by.sourceIp, by.actionId);
  },
  'oidc.update': async (q, _ctx, by, a) => {
    await applyProvider(q, by.tenantId, by.userId, a.payload as { settings: ProviderSettings; secretId: string }, by.sourceIp, by.actionId);
  },
  'user.roles': async (q, _ctx, by, a) => {
    const user = await lockUser(q, by.tenantId, a.target);
    const roles = (a.payload as { roles: string[] }).roles;
    if (user.roles.includes('admin') && !roles.includes('admin')) await keepAnAdmin(q, by.tenantId, a.target);
    // A grant confirmed by a second admin vouches for the user; a demotion keeps what was.
    await setRoles(q, by, a.target, roles, grantedPrivileges(user.roles, roles).length > 0 || user.vouched);
  },
  'user.disable': async (q, _ctx, by, a) => {
    await keepAnAdmin(q, by.tenantId, a.target);
    await disableUser(q, by, a.target);
  },
  'user.invite': async (q, _ctx, by, a) => {
    await lockUser(q, by.tenantId, a.target);
    await revokeCredentials(q, by.tenantId, a.target);
    return { invitation: await createInvitation(q, by, a.target, (a.payload as { tokenSeconds: number }).tokenSeconds) };
  },
};
