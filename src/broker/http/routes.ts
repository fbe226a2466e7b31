/**
 * Every route of the broker, one line each: method, path, who may call it (access.ts: a role
 * list, 'user' for any signed-in person, 'agent' or 'signed' for a device's signed request,
 * 'user-or-agent', 'xks' for AWS KMS's SigV4-signed call to a keystore, 'public'), and its endpoint (schema and handler, in its feature's folder).
 * The access check runs once, before the handler, after the schemas (endpoint.ts mount).
 */
import { route, type Route } from './endpoint.js';
import { health } from './routes-health.js';
import * as accounts from '../accounts/routes.js';
import * as lockout from '../accounts/routes-lockout.js';
import { redeemInvitation } from '../accounts/routes-invitations.js';
import * as keys from '../keys/routes.js';
import * as devices from '../devices/routes.js';
import * as enrollmentTokens from '../devices/routes-tokens.js';
import * as tpm from '../devices/routes-tpm.js';
import * as policies from '../policy/routes.js';
import * as agent from '../release/routes-agent.js';
import * as approval from '../release/routes-approval.js';
import * as actions from '../separation/routes.js';
import * as audit from '../audit/routes.js';
import * as archive from '../audit/routes-archive.js';
import * as consoleUi from '../console/routes.js';
import * as oidc from '../oidc/routes.js';
import * as oidcConsole from '../oidc/routes-console.js';
import * as oidcDevice from '../oidc/routes-device.js';
import * as xksStores from '../xks/routes.js';
import * as xksApi from '../xks/routes-proxy.js';

const OPERATOR = ['operator'] as const;
const ADMIN = ['admin'] as const;
const APPROVER = ['approver'] as const;
const AUDITOR = ['auditor'] as const;
const ADMIN_OR_APPROVER = ['admin', 'approver'] as const;
const APPROVER_OR_ADMIN = ['approver', 'admin'] as const;
const AUDITOR_OR_OPERATOR = ['auditor', 'operator'] as const;

export const ROUTES: readonly Route[] = [
  // Tenants, users, tokens, invitations (accounts/)
  route('post', '/v1/tenants', OPERATOR, accounts.createTenant),
  route('get', '/v1/tenants', OPERATOR, accounts.listTenants),
  route('post', '/v1/tenants/:id/admins', OPERATOR, accounts.inviteAdmin),
  route('post', '/v1/users', ADMIN, accounts.createUserRoute),
  route('get', '/v1/users', ADMIN, accounts.listUsers),
  route('post', '/v1/users/:id/roles', ADMIN, accounts.setUserRoles),
  route('post', '/v1/users/:id/disable', ADMIN, lockout.disableUser),
  route('get', '/v1/users/:id/tokens', ADMIN, lockout.listUserTokens),
  route('post', '/v1/users/:id/tokens/revoke', ADMIN, lockout.revokeUserTokens),
  route('post', '/v1/users/:id/invitation', ADMIN, lockout.reinviteUser),
  route('post', '/v1/tokens', 'user', accounts.createToken),
  route('get', '/v1/tokens', 'user', accounts.listOwnTokens),
  route('post', '/v1/tokens/:id/revoke', 'user', accounts.revokeToken),
  route('post', '/v1/invitations/redeem', 'public', redeemInvitation),
  // Keys (keys/)
  route('post', '/v1/keys', ADMIN, keys.createKey),
  route('get', '/v1/keys', ADMIN_OR_APPROVER, keys.listKeys),
  route('get', '/v1/keys/:id/public', 'user-or-agent', keys.publicKey),
  route('post', '/v1/keys/:id/rotate', ADMIN, keys.rotateKey),
  route('post', '/v1/keys/:id/retire', ADMIN, keys.retireKey),
  route('post', '/v1/keys/:id/rewrap', ADMIN, keys.rewrapKey),
  route('post', '/v1/keys/:id/destroy', ADMIN, keys.destroyKey),
  route('post', '/v1/keys/:id/disable', ADMIN, keys.disableKey),
  route('post', '/v1/keys/:id/enable', ADMIN, keys.enableKey),
  // AWS KMS external key stores (xks/): keystores and their SigV4 credentials
  route('post', '/v1/xks/keystores', ADMIN, xksStores.createKeystore),
  route('get', '/v1/xks/keystores', ADMIN_OR_APPROVER, xksStores.listKeystores),
  route('post', '/v1/xks/keystores/:id/credentials', ADMIN, xksStores.rotateCredential),
  route('post', '/v1/xks/keystores/:id/credentials/:accessKeyId/retire', ADMIN, xksStores.retireCredential),
  route('post', '/v1/xks/keystores/:id/disable', ADMIN, xksStores.disableKeystore),
  route('post', '/v1/xks/keystores/:id/enable', ADMIN, xksStores.enableKeystore),
  route('put', '/v1/xks/keystores/:id/mtls', ADMIN, xksStores.setMtls),
  route('delete', '/v1/xks/keystores/:id/mtls', ADMIN, xksStores.clearMtls),
  // Devices and their enrollment (devices/)
  route('post', '/v1/enrollment-tokens', ADMIN, devices.createEnrollmentToken),
  route('get', '/v1/enrollment-tokens', ADMIN, enrollmentTokens.listEnrollmentTokens),
  route('post', '/v1/enrollment-tokens/:id/revoke', ADMIN, enrollmentTokens.revokeEnrollmentToken),
  route('post', '/v1/agent/enroll', 'public', devices.enroll),
  route('get', '/v1/devices', ADMIN_OR_APPROVER, devices.listDevices),
  route('post', '/v1/devices/:id/revoke', ADMIN, devices.revokeDevice),
  route('get', '/v1/devices/:id/tpm', ADMIN, tpm.deviceTpmEvidence),
  route('post', '/v1/agent/revoke', 'agent', devices.agentRevoke),
  route('post', '/v1/agent/tpm/activate', 'agent', tpm.tpmActivate),
  route('post', '/v1/agent/tpm/challenge', 'agent', tpm.tpmChallenge),
  // Policies and trusted issuers (policy/)
  route('put', '/v1/policies/:name', ADMIN, policies.putPolicy),
  route('get', '/v1/policies', ADMIN_OR_APPROVER, policies.listPolicies),
  route('get', '/v1/policies/:name', ADMIN_OR_APPROVER, policies.getPolicy),
  route('delete', '/v1/policies/:name', ADMIN, policies.deletePolicyRoute),
  route('post', '/v1/issuers', ADMIN, policies.putIssuer),
  route('get', '/v1/issuers', ADMIN, policies.listIssuers),
  // The release (release/): the agent's signed calls, the approvers' votes
  route('post', '/v1/agent/unwrap', 'signed', agent.agentUnwrap),
  route('get', '/v1/agent/requests/:id', 'agent', agent.agentRequest),
  route('post', '/v1/agent/requests/:id/withdraw', 'agent', agent.agentWithdraw),
  route('get', '/v1/requests', APPROVER_OR_ADMIN, approval.listRequests),
  route('get', '/v1/requests/:id', APPROVER_OR_ADMIN, approval.getRequest),
  route('post', '/v1/requests/:id/approve', APPROVER, approval.approveRequest),
  route('post', '/v1/requests/:id/deny', APPROVER, approval.denyRequest),
  // Sign-in through the tenant's OpenID provider (oidc/): its settings, the CLI's device grant
  route('put', '/v1/oidc', ADMIN, oidc.putOidc),
  route('get', '/v1/oidc', ADMIN, oidc.getOidc),
  route('post', '/v1/oidc/device', 'public', oidcDevice.deviceStart),
  route('post', '/v1/oidc/device/token', 'public', oidcDevice.deviceToken),
  route('delete', '/v1/session', 'user', oidcDevice.endSession),
  // Two-person actions (separation/)
  route('get', '/v1/actions', ADMIN, actions.listActions),
  route('post', '/v1/actions/:id/confirm', ADMIN, actions.confirmAction),
  route('post', '/v1/actions/:id/cancel', ADMIN, actions.cancelAction),
  // The audit log (audit/)
  route('get', '/v1/audit', AUDITOR_OR_OPERATOR, audit.auditPage),
  route('get', '/v1/audit/checkpoint', AUDITOR_OR_OPERATOR, audit.auditCheckpoint),
  route('get', '/v1/audit/proof', AUDITOR_OR_OPERATOR, audit.auditProof),
  route('get', '/v1/audit/consistency', AUDITOR_OR_OPERATOR, audit.auditConsistency),
  route('get', '/v1/audit/segment', AUDITOR, archive.auditSegment),
  route('post', '/v1/audit/archive', AUDITOR, archive.auditArchive),
  // The XKS API that AWS KMS calls (xks/routes-proxy.ts), under each keystore's URI path
  route('post', '/xks/:store/kms/xks/v1/keys/:keyId/metadata', 'xks', xksApi.getKeyMetadata),
  route('post', '/xks/:store/kms/xks/v1/keys/:keyId/encrypt', 'xks', xksApi.encrypt),
  route('post', '/xks/:store/kms/xks/v1/keys/:keyId/decrypt', 'xks', xksApi.decrypt),
  route('post', '/xks/:store/kms/xks/v1/health', 'xks', xksApi.getHealthStatus),
  route('get', '/xks/:store/kms/xks/v1/keys/:keyId/metadata', 'public', xksApi.methodNotAllowed('GetKeyMetadata')),
  route('get', '/xks/:store/kms/xks/v1/keys/:keyId/encrypt', 'public', xksApi.methodNotAllowed('Encrypt')),
  route('get', '/xks/:store/kms/xks/v1/keys/:keyId/decrypt', 'public', xksApi.methodNotAllowed('Decrypt')),
  route('get', '/xks/:store/kms/xks/v1/health', 'public', xksApi.methodNotAllowed('GetHealthStatus')),
  // Health: public, with more for a signed-in person (the handler reads optional credentials)
  route('get', '/v1/health', 'public', health),
  // The web console (console/): its files and its session
  route('get', '/console', 'public', consoleUi.consoleRedirect),
  route('get', '/console/', 'public', consoleUi.consoleFile('index.html')),
  route('get', '/console/index.html', 'public', consoleUi.consoleFile('index.html')),
  route('get', '/console/app.js', 'public', consoleUi.consoleFile('app.js')),
  route('get', '/console/app.css', 'public', consoleUi.consoleFile('app.css')),
  route('post', '/console/api/session', 'public', consoleUi.signIn),
  route('get', '/console/api/session', 'public', consoleUi.whoIsSignedIn),
  route('delete', '/console/api/session', 'public', consoleUi.signOut),
  route('get', '/console/api/oidc/start', 'public', oidcConsole.oidcStart),
  route('get', '/console/api/oidc/callback', 'public', oidcConsole.oidcCallback),
];
