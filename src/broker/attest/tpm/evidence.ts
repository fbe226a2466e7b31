/**
 * One entry point for a release's TPM evidence: the quote (verifyQuote), then the event logs
 * replayed against the quoted PCRs, then the claims. Every `tpm.*` claim comes from evidence
 * that verified; anything that does not verify is a refusal with a reason (naming the PCR
 * where a log does not replay), never a partial set of claims.
 */
import { TPM_ALG } from './alg.js';
import { parseImaLog, replayImaLog } from './ima-log.js';
import { verifyQuote, type QuoteEvidence, type QuoteExpectation } from './quote.js';
import { toHex } from './reader.js';
import { parseUefiEventLog, replayUefiLog, uefiFacts } from './uefi-log.js';

export interface TpmEvidence extends QuoteEvidence {
  eventLogs?: {
    /** /sys/kernel/security/tpm0/binary_bios_measurements */
    uefi?: Uint8Array;
    /** /sys/kernel/security/ima/binary_runtime_measurements */
    ima?: Uint8Array;
  };
}

export interface TpmExpectation extends QuoteExpectation {
  /**
   * The device's last verified resetCount: a lower one is refused (a quote from before the
   * last one the broker saw). Optional; the challenge already makes every quote fresh.
   */
  minResetCount?: number;
  /** Refuse evidence without a UEFI event log (default: a log is optional). */
  requireUefiLog?: boolean;
  /** Refuse evidence without an IMA log (default: optional). */
  requireImaLog?: boolean;
}

/** Claims from verified TPM evidence only. */
export interface TpmClaims {
  'tpm.verified': true;
  /** TPMS_CLOCK_INFO.resetCount: TPM resets (boots) since the TPM was cleared. */
  'tpm.resetCount': number;
  'tpm.restartCount': number;
  'tpm.secureBoot'?: boolean;
  'tpm.kernelCmdline'?: string;
  /** path -> ["sha256:<hex>", ...] */
  'tpm.ima'?: Record<string, string[]>;
  /** `tpm.pcrs.sha256.<n>`: the quoted value, hex. */
  [pcr: `tpm.pcrs.sha256.${number}`]: string;
}

export type TpmEvidenceResult = { ok: true; claims: TpmClaims } | { ok: false; reason: string };

export function verifyTpmEvidence(input: TpmEvidence, expected: TpmExpectation): TpmEvidenceResult {
  const quote = verifyQuote(input, expected);
  if (!quote.ok) return quote;
  const { attest } = quote;
  if (expected.minResetCount !== undefined && attest.resetCount < expected.minResetCount) {
    return { ok: false, reason: `the quote's resetCount ${attest.resetCount} is below the last one verified (${expected.minResetCount})` };
  }
  const claims: TpmClaims = { 'tpm.verified': true, 'tpm.resetCount': attest.resetCount, 'tpm.restartCount': attest.restartCount };
  for (const [n, v] of [...input.pcrs.entries()].sort((a, b) => a[0] - b[0])) claims[`tpm.pcrs.sha256.${n}`] = toHex(v);

  const logs = input.eventLogs ?? {};
  if (expected.requireUefiLog && !logs.uefi) return { ok: false, reason: 'the UEFI event log is required and was not sent' };
  if (expected.requireImaLog && !logs.ima) return { ok: false, reason: 'the IMA log is required and was not sent' };
  try {
    if (logs.uefi) {
      const log = parseUefiEventLog(logs.uefi);
      if (!log.algorithms.has(TPM_ALG.SHA256)) return { ok: false, reason: 'the UEFI event log has no sha256 digests' };
      const replayed = replayUefiLog(log, TPM_ALG.SHA256);
      const verified = new Set<number>();
      for (const [n, value] of replayed) {
        const quoted = input.pcrs.get(n);
        if (!quoted) continue; // not quoted: nothing from this PCR is used
        if (!Buffer.from(quoted).equals(Buffer.from(value)))
          return { ok: false, reason: `PCR ${n}: the UEFI event log replays to ${toHex(value)}, the quote says ${toHex(quoted)}` };
        verified.add(n);
      }
      const facts = uefiFacts(log, verified, TPM_ALG.SHA256);
      if (facts.secureBoot !== undefined) claims['tpm.secureBoot'] = facts.secureBoot;
      if (facts.kernelCmdline !== undefined) claims['tpm.kernelCmdline'] = facts.kernelCmdline;
    }
    if (logs.ima) {
      const quoted = input.pcrs.get(10);
      if (quoted) {
        const ima = replayImaLog(parseImaLog(logs.ima), quoted, 10);
        if (!ima.ok) return ima;
        claims['tpm.ima'] = ima.files;
      } else if (expected.requireImaLog) {
        return { ok: false, reason: 'the IMA log is required but PCR 10 was not quoted' };
      }
    }
  } catch (err) {
    return { ok: false, reason: (err as Error).message };
  }
  return { ok: true, claims };
}
