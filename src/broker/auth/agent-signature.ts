/**
 * Signed agent requests (docs/broker.md "Enrolling agents"; RFC 9421 with an RFC 9530
 * content-digest, verified by src/http-signature): the key id is the device id; the device
 * must exist and not be revoked (a revoked device's attempt is recorded as agent.refused);
 * each nonce is accepted once across every broker process (the nonces table's primary key
 * decides, so two brokers on one database agree).
 */
import type { FastifyRequest } from 'fastify';
import { verifyRequest } from '../../http-signature/index.js';
import { SectorCryptError } from '../../errors.js';
import type { BrokerContext } from '../context.js';
import type { DeviceIdentity } from './device-cache.js';
import { appendAudit } from '../audit/log.js';
import { device as deviceRow } from '../devices/repository.js';
import { admitNonce } from './repository.js';

export interface AgentDevice {
  deviceId: string;
  tenantId: string;
  name: string;
  groups: string[];
  enrolledAt: string;
  /** Enrolled with a TPM (devices/tpm.ts). */
  tpm: boolean;
}

export const MAX_SKEW_SECONDS = 300;

/** The URL the agent signed: the broker serves HTTPS only, at the Host the agent used. */
export function targetUri(req: FastifyRequest): string {
  return `https://${req.headers.host ?? ''}${req.url}`;
}

async function lookupDevice(ctx: BrokerContext, id: string): Promise<DeviceIdentity | undefined> {
  const known = ctx.devices.get(id);
  if (known) return known;
  const row = await deviceRow(ctx.db, id);
  if (!row) return undefined;
  const device = {
    id: row.id,
    tenantId: row.tenant_id,
    name: row.name,
    groups: row.groups,
    publicKey: new Uint8Array(row.public_key),
    enrolledAt: new Date(row.enrolled_at).toISOString(),
    tpm: row.tpm === true,
  };
  ctx.devices.set(device);
  return device;
}

/** A request whose signature checked out, from a known device; not yet admitted. */
export interface SignedBy {
  device: DeviceIdentity;
  nonce: string;
}

/** Step 1: the signature (no database round trip for a device seen before). */
export async function authenticateAgent(ctx: BrokerContext, req: FastifyRequest): Promise<SignedBy> {
  let device: DeviceIdentity | undefined;
  const lookup = async (keyId: string): Promise<Uint8Array> => {
    device = await lookupDevice(ctx, keyId);
    if (!device) throw new SectorCryptError('ERR_UNAUTHENTICATED', 'unknown device');
    return device.publicKey;
  };
  const raw = (req as FastifyRequest & { rawBody?: Buffer }).rawBody;
  const signed = await verifyRequest(
    {
      method: req.method,
      url: targetUri(req),
      headers: req.headers as Record<string, string | string[] | undefined>,
      body: raw ? new Uint8Array(raw) : new Uint8Array(),
    },
    lookup,
    ctx.now(),
    MAX_SKEW_SECONDS,
  );
  if (!device || device.id !== signed.keyId) throw new SectorCryptError('ERR_UNAUTHENTICATED', 'signature key does not match a device');
  if (typeof signed.nonce !== 'string' || !signed.nonce) throw new SectorCryptError('ERR_UNAUTHENTICATED', 'the signature has no nonce');
  // After the signature (nobody spends another device's budget), before the nonce is stored.
  ctx.limits?.takeDevice(device.id, req);
  return { device, nonce: signed.nonce };
}

/** Step 3: refuses a replayed nonce, and a revoked device (with a record). */
export async function admitAgent(
  ctx: BrokerContext,
  req: FastifyRequest,
  device: DeviceIdentity,
  state: { fresh: number; revoked_at: string | null } | undefined,
): Promise<AgentDevice> {
  if (!state?.fresh) throw new SectorCryptError('ERR_REPLAY', 'this signature nonce was seen before');
  if (state.revoked_at) {
    // A revoked device still asking is an agent event worth a record (a replay, above, is
    // not: anyone holding a copy of the request could send it again).
    const revoked = device;
    await ctx.db.tx((q) =>
      appendAudit(q, revoked.tenantId, {
        actor: revoked.id,
        action: 'agent.refused',
        target: revoked.id,
        outcome: 'denied',
        reasons: { code: 'ERR_FORBIDDEN', why: 'device revoked', request: `${req.method} ${req.url.split('?')[0]}` },
        sourceIp: req.ip,
      }),
    );
    throw new SectorCryptError('ERR_FORBIDDEN', 'this device is revoked');
  }
  return {
    deviceId: device.id,
    tenantId: device.tenantId,
    name: device.name,
    groups: device.groups,
    enrolledAt: device.enrolledAt,
    tpm: device.tpm,
  };
}

/** Steps 2 and 3 alone, for a request with nothing to read along with the nonce. */
export async function admitSigned(ctx: BrokerContext, req: FastifyRequest, { device, nonce }: SignedBy): Promise<AgentDevice> {
  // Step 2: the nonce recorded and the revocation read in one statement (repository.ts admitNonce).
  const state = await admitNonce(ctx.db, device.tenantId, device.id, nonce);
  return admitAgent(ctx, req, device, state);
}

/** The three steps, for routes with nothing to read along with the nonce. */
export async function verifyAgentRequest(ctx: BrokerContext, req: FastifyRequest): Promise<AgentDevice> {
  return admitSigned(ctx, req, await authenticateAgent(ctx, req));
}
