/**
 * Who may call a route, as the route table says it (routes.ts), checked in one place:
 * - a list of roles: a person of the tenant with one of them (Bearer token or console session);
 * - 'user': any signed-in person, whatever the role;
 * - 'agent': a device's signed request, admitted (signature, nonce, revocation);
 * - 'signed': the signature only; the handler admits the nonce itself, with its own reads
 *   (the release path does both in one statement: release/routes-agent.ts);
 * - 'user-or-agent': a Bearer token when there is an Authorization header, else a signed request;
 * - 'xks': AWS KMS's SigV4 signature with a live credential of the keystore the URI path names
 *   (xks/proxy.ts admitXks, which also reads the key and the policies the call needs);
 * - 'public': nobody is asked (health, enrollment, invitations, console sign-in and files).
 */
import type { FastifyRequest } from 'fastify';
import type { BrokerContext } from '../context.js';
import type { Principal, Role } from '../auth/principal.js';
import { authenticate, requireRole } from '../auth/authenticate.js';
import { admitXks, type XksCaller } from '../xks/proxy.js';
import { authenticateAgent, verifyAgentRequest, type AgentDevice, type SignedBy } from '../auth/agent-signature.js';

export type Access = readonly Role[] | 'user' | 'agent' | 'signed' | 'user-or-agent' | 'xks' | 'public';

/** What the handler is handed for each kind of access. */
export type CallerOf<A extends Access> = A extends readonly Role[]
  ? Principal
  : A extends 'user'
    ? Principal
    : A extends 'agent'
      ? AgentDevice
      : A extends 'signed'
        ? SignedBy
        : A extends 'user-or-agent'
          ? { tenantId: string }
          : A extends 'xks'
            ? XksCaller
            : undefined;

type Check = (ctx: BrokerContext, req: FastifyRequest) => Promise<unknown>;

/** The check an access needs, or undefined for a public route. */
export function callerCheck(access: Access): Check | undefined {
  if (typeof access !== 'string') {
    const roles = access as readonly Role[];
    return (ctx, req) => requireRole(ctx.db, req, ...roles);
  }
  switch (access) {
    case 'user':
      return (ctx, req) => authenticate(ctx.db, req);
    case 'agent':
      return (ctx, req) => verifyAgentRequest(ctx, req);
    case 'signed':
      return (ctx, req) => authenticateAgent(ctx, req);
    case 'user-or-agent':
      return async (ctx, req) => (req.headers.authorization ? authenticate(ctx.db, req) : verifyAgentRequest(ctx, req));
    case 'xks':
      return (ctx, req) => admitXks(ctx, req);
    case 'public':
      return undefined;
  }
}
