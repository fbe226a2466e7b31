/**
 * The one JSON object a policy sees (docs/policies.md). device.* and
 * request.* come from the broker's own records; identity.* and integrity.* from the agent
 * (as honest as the agent is); attested.<issuer>.* from verified attestation JWTs; tpm.* from a
 * verified TPM quote and event logs (devices/tpm.ts), present only then.
 */
import type { AgentDevice } from '../auth/agent-signature.js';

export interface AgentClaims {
  identity?: Record<string, unknown>;
  integrity?: Record<string, unknown>;
}

export function buildClaims(args: {
  device: AgentDevice;
  agent: AgentClaims | undefined;
  attested: Record<string, unknown>;
  tpm?: Record<string, unknown>;
  ip: string;
  now: Date;
  resource: string;
}): Record<string, unknown> {
  return {
    device: { id: args.device.deviceId, groups: args.device.groups, enrolledAt: args.device.enrolledAt, name: args.device.name },
    identity: args.agent?.identity ?? {},
    integrity: args.agent?.integrity ?? {},
    attested: args.attested,
    ...(args.tpm ? { tpm: args.tpm } : {}),
    request: { time: args.now.toISOString(), ip: args.ip },
    resource: args.resource,
  };
}
