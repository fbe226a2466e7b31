/**
 * Devices with a TPM 2.0 (docs/broker.md "Enrolling with a TPM", "Releasing with a TPM quote"):
 *
 * - Enrollment: the EK certificate must chain to a CA of one of the tenant's `tpm` issuers
 *   and certify the EK presented; the AK must be a restricted signing key fixed to its TPM.
 *   The broker answers TPM2_MakeCredential (TPM 2.0 Part 1 §24) for the AK's Name; only the
 *   TPM holding that EK, with that AK loaded, opens it. The device releases nothing until it
 *   proves the secret (activate), and one EK is one live device per tenant.
 * - Release: a one-time challenge, then a quote over the PCRs the device's policies need,
 *   bound to the challenge and the request (protocol/tpm.ts releaseBinding), verified by
 *   attest/tpm. Every refusal is a denial reason naming why, marked `trust: tpm`.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Sql } from '../store/types.js';
import type { AgentDevice } from '../auth/agent-signature.js';
import { appendAudit } from '../audit/log.js';
import { newId, constantTimeEqual } from '../auth/secrets.js';
import { fail } from '../http/errors.js';
import { iso } from '../http/schemas.js';
import { issuerDocuments, policyDocuments } from '../policy/repository.js';
import type { Policy, Reason, Rule } from '../policy/index.js';
import {
  checkAkPublic,
  makeCredential,
  objectName,
  parsePublic,
  quoteQualifyingData,
  verifyEkCertificate,
  verifyTpmEvidence,
  type TpmClaims,
  type TpmPublic,
} from '../attest/tpm/index.js';
import { SectorCryptError } from '../../errors.js';
import { TPM_CHALLENGE_SECONDS, releaseBinding, type TpmEnroll, type TpmEvidenceBody } from '../../protocol/tpm.js';
import * as devices from './repository.js';

const sha256 = (b: Uint8Array) => new Uint8Array(createHash('sha256').update(b).digest());
const b64 = (b: Uint8Array) => Buffer.from(b).toString('base64');
const bytes = (s: string) => new Uint8Array(Buffer.from(s, 'base64'));

/** A refused TPM enrollment: the reason goes to the agent and to the tenant's log. */
export class TpmEnrollRefused extends SectorCryptError {
  constructor(
    readonly tenantId: string,
    readonly reason: string,
  ) {
    super('ERR_FORBIDDEN', `TPM enrollment refused: ${reason}`);
  }
}

export interface CheckedTpm {
  ekHash: Uint8Array;
  ek: TpmPublic;
  akPublic: Uint8Array;
  akName: Uint8Array;
  /** The tpm issuer whose CA the EK certificate chains to. */
  issuer: string;
}

/** The EK certificate, the EK and the AK an agent presents, checked for its tenant (throws TpmEnrollRefused). */
export async function checkTpmEnrollment(q: Sql, tenantId: string, tpm: TpmEnroll, now: Date): Promise<CheckedTpm> {
  const refuse = (reason: string): never => {
    throw new TpmEnrollRefused(tenantId, reason);
  };
  let ek: TpmPublic;
  let ak: TpmPublic;
  const ekPublic = bytes(tpm.ekPublic);
  const akPublic = bytes(tpm.akPublic);
  try {
    ek = parsePublic(ekPublic);
  } catch {
    return refuse('the EK public does not parse as a TPM2B_PUBLIC');
  }
  try {
    ak = parsePublic(akPublic);
  } catch {
    return refuse('the AK public does not parse as a TPM2B_PUBLIC');
  }
  const badAk = checkAkPublic(ak);
  if (badAk) refuse(badAk);
  const issuers = (await issuerDocuments(q, tenantId)).filter((i) => i.document.kind === 'tpm');
  if (!issuers.length) refuse('this tenant trusts no TPM manufacturer CA (an issuer of kind tpm)');
  let why = '';
  let issuer: string | undefined;
  for (const i of issuers) {
    const r = verifyEkCertificate(bytes(tpm.ekCertificate), ek, { trusted: i.document.certificates ?? [] }, now);
    if (r.ok) {
      issuer = i.name;
      break;
    }
    why = r.reason;
  }
  if (!issuer) return refuse(why);
  const ekHash = sha256(ekPublic);
  const holder = await devices.tpmEkEnrolled(q, tenantId, ekHash);
  // One TPM is one device: a second enrollment of the same EK would let a copy of the first
  // device's name and groups be claimed again. Revoke the old device to enroll the machine anew.
  // Only an activated device counts (activate() checks again): an enrollment with a copy of the
  // public EK certificate, never activated, keeps nobody out.
  if (holder) fail('ERR_CONFLICT', `this TPM (its EK) is bound to device ${holder} in this tenant: revoke it first`);
  return { ekHash, ek, akPublic, akName: objectName(ak), issuer };
}

/** Binds the EK and AK to the new device and makes the credential it must activate. */
export async function bindTpm(q: Sql, tenantId: string, deviceId: string, tpm: CheckedTpm) {
  await devices.setDeviceTpm(q, tenantId, deviceId, tpm.ekHash, tpm.akPublic);
  const secret = new Uint8Array(randomBytes(32));
  try {
    const made = makeCredential(tpm.ek, tpm.akName, secret);
    const challengeId = newId('chl');
    const expires = await devices.insertChallenge(q, {
      tenantId,
      id: challengeId,
      deviceId,
      purpose: 'activate',
      value: sha256(secret),
      pcrs: [],
      seconds: TPM_CHALLENGE_SECONDS,
    });
    return { challengeId, idObject: b64(made.idObject), encryptedSecret: b64(made.encryptedSecret), expiresAt: iso(expires) };
  } finally {
    secret.fill(0);
  }
}

/**
 * The agent proves the credential's secret: the AK is then bound. A wrong secret revokes the
 * device (an AK that is not in the certified TPM); a spent, expired or unknown challenge is
 * refused. Both are recorded.
 */
export async function activate(q: Sql, device: AgentDevice, challengeId: string, secret: Uint8Array, ip: string) {
  const record = (outcome: 'success' | 'failure', why?: string) =>
    appendAudit(q, device.tenantId, {
      actor: device.deviceId,
      action: 'agent.tpm-activate',
      target: device.deviceId,
      outcome,
      ...(why ? { reasons: { why } } : {}),
      sourceIp: ip,
    });
  const c = await devices.spendChallenge(q, device.tenantId, challengeId, device.deviceId, 'activate');
  if (!c || c.expired) {
    const why = c ? 'the activation challenge expired' : 'no such activation challenge, or it was spent';
    await record('failure', why);
    return { ok: false as const, code: c ? ('ERR_EXPIRED' as const) : ('ERR_CONFLICT' as const), why };
  }
  if (!constantTimeEqual(sha256(secret), new Uint8Array(c.value))) {
    await devices.revokeDevice(q, device.tenantId, device.deviceId);
    const why = 'the secret does not match the credential: the AK is not in the TPM of the certified EK; the device is revoked';
    await record('failure', why);
    return { ok: false as const, code: 'ERR_FORBIDDEN' as const, why };
  }
  if (!(await devices.activateTpm(q, device.tenantId, device.deviceId))) {
    const why = 'this device was activated already, or its TPM was bound to another device meanwhile';
    await record('failure', why);
    return { ok: false as const, code: 'ERR_CONFLICT' as const, why };
  }
  await record('success');
  return { ok: true as const };
}

/** The sha256 PCRs a rule tree's tpm.* claims come from (docs/claims.md "TPM 2.0 evidence"). */
function pcrsOfRule(rule: Rule, out: Set<number>): void {
  if ('allOf' in rule) return rule.allOf.forEach((r) => pcrsOfRule(r, out));
  if ('anyOf' in rule) return rule.anyOf.forEach((r) => pcrsOfRule(r, out));
  if ('not' in rule) return pcrsOfRule(rule.not, out);
  const c = rule.claim;
  const m = /^tpm\.pcrs\.sha256\.(\d{1,2})$/.exec(c);
  if (m && Number(m[1]) <= 23) out.add(Number(m[1]));
  else if (c === 'tpm.secureBoot') out.add(7);
  else if (c === 'tpm.kernelCmdline') [8, 12].forEach((n) => out.add(n));
  else if (c === 'tpm.ima' || c.startsWith('tpm.ima.')) out.add(10);
}

/** PCR 7 (Secure Boot state and its keys) always, and every PCR the policies' tpm.* claims need. */
export function pcrsForPolicies(policies: readonly Policy[]): number[] {
  const out = new Set<number>([7]);
  for (const p of policies) pcrsOfRule(p.rules, out);
  return [...out].sort((a, b) => a - b);
}

/** A fresh one-time nonce for a quote, with the PCRs the policies binding this device need. */
export async function quoteChallenge(q: Sql, device: AgentDevice) {
  if (!device.tpm) fail('ERR_ARGUMENT', 'this device was enrolled without a TPM');
  const state = await devices.deviceTpm(q, device.tenantId, device.deviceId);
  if (!state?.tpm_activated_at) fail('ERR_FORBIDDEN', "this device's TPM attestation key was never activated");
  const policies = (await policyDocuments(q, device.tenantId)).filter(
    (p) => p.devices?.ids?.includes(device.deviceId) || device.groups.some((g) => p.devices?.groups?.includes(g)),
  );
  const pcrs = pcrsForPolicies(policies);
  const nonce = new Uint8Array(randomBytes(32));
  const challengeId = newId('chl');
  const expires = await devices.insertChallenge(q, {
    tenantId: device.tenantId,
    id: challengeId,
    deviceId: device.deviceId,
    purpose: 'quote',
    value: nonce,
    pcrs,
    seconds: TPM_CHALLENGE_SECONDS,
  });
  return { challengeId, nonce: b64(nonce), pcrs, expiresAt: iso(expires) };
}

/** The claims under `tpm` a policy sees: `tpm.pcrs.sha256.<n>` nested, as every other root is. */
export function tpmClaimsObject(c: TpmClaims): Record<string, unknown> {
  const pcrs: Record<string, string> = {};
  const out: Record<string, unknown> = {
    verified: true,
    resetCount: c['tpm.resetCount'],
    bootCount: c['tpm.resetCount'],
    restartCount: c['tpm.restartCount'],
    pcrs: { sha256: pcrs },
  };
  for (const [k, v] of Object.entries(c)) {
    const m = /^tpm\.pcrs\.sha256\.(\d+)$/.exec(k);
    if (m) pcrs[m[1]!] = v as string;
  }
  if (c['tpm.secureBoot'] !== undefined) out.secureBoot = c['tpm.secureBoot'];
  if (c['tpm.kernelCmdline'] !== undefined) out.kernelCmdline = c['tpm.kernelCmdline'];
  if (c['tpm.ima'] !== undefined) out.ima = { ...c['tpm.ima'] };
  return out;
}

function tpmReason(expected: string, actual: string): Reason {
  return { policy: '', rule: 'attestation', claim: 'tpm', expected, actual, trust: 'tpm' };
}

export interface ReleaseRequestFields {
  kind: string;
  keyId: string;
  version: number;
  enc: string;
  ciphertext: string;
  resource: string;
  replyKey: string;
  tpm?: TpmEvidenceBody;
}

/**
 * The TPM evidence of a release: claims when it verifies, else the reasons it is refused.
 * The challenge is spent first, in its own statement, so it is spent whatever comes next.
 */
export async function releaseEvidence(
  q: Sql,
  device: AgentDevice,
  body: ReleaseRequestFields,
): Promise<{ claims?: Record<string, unknown>; reasons: Reason[] }> {
  const expected = 'a quote from the attestation key enrolled for this device, answering a fresh challenge';
  if (!body.tpm) {
    if (!device.tpm) return { reasons: [] };
    return { reasons: [tpmReason(expected, 'missing: this device was enrolled with a TPM and sent no quote')] };
  }
  if (!device.tpm) return { reasons: [tpmReason(expected, 'TPM evidence from a device enrolled without a TPM')] };
  const c = await devices.spendChallenge(q, device.tenantId, body.tpm.challengeId, device.deviceId, 'quote');
  if (!c) return { reasons: [tpmReason(expected, "the challenge is unknown, spent or not this device's: an old or replayed quote")] };
  if (c.expired) return { reasons: [tpmReason(expected, 'the challenge expired: an old quote')] };
  if (!c.tpm_ak_public) return { reasons: [tpmReason(expected, 'this device has no attestation key')] };
  const pcrs = new Map<number, Uint8Array>();
  for (const p of body.tpm.pcrs) {
    if (pcrs.has(p.pcr)) return { reasons: [tpmReason(expected, `PCR ${p.pcr} is given twice`)] };
    pcrs.set(p.pcr, new Uint8Array(Buffer.from(p.sha256, 'hex')));
  }
  const akPublic = new Uint8Array(c.tpm_ak_public);
  let akName: Uint8Array;
  try {
    akName = objectName(parsePublic(akPublic));
  } catch {
    return { reasons: [tpmReason(expected, 'the enrolled attestation key does not parse')] };
  }
  const result = verifyTpmEvidence(
    {
      akPublic,
      attest: bytes(body.tpm.attest),
      signature: bytes(body.tpm.signature),
      pcrs,
      eventLogs: {
        ...(body.tpm.uefiLog ? { uefi: bytes(body.tpm.uefiLog) } : {}),
        ...(body.tpm.imaLog ? { ima: bytes(body.tpm.imaLog) } : {}),
      },
    },
    {
      akName,
      qualifyingData: quoteQualifyingData(new Uint8Array(c.value), releaseBinding(body)),
      pcrs: c.pcrs.map(Number),
      ...(c.tpm_reset_count !== null ? { minResetCount: Number(c.tpm_reset_count) } : {}),
    },
  );
  if (!result.ok) return { reasons: [tpmReason(expected, result.reason)] };
  const claims = tpmClaimsObject(result.claims);
  await devices.saveTpmEvidence(q, device.tenantId, device.deviceId, result.claims['tpm.resetCount'], claims);
  return { claims, reasons: [] };
}
