/**
 * A quote checked against what the broker asked for (TPM 2.0 Part 3 §18.4 TPM2_Quote):
 *   - the AK is a restricted signing key that cannot leave its TPM (Part 1 §25.2: a restricted
 *     key signs only digests the TPM computed itself, so a TPMS_ATTEST it signed with
 *     magic TPM_GENERATED_VALUE was made by the TPM), and its Name is the one enrolled;
 *   - the signature over the TPMS_ATTEST bytes verifies with the AK;
 *   - extraData is the qualifying data the broker expects (its challenge and the request);
 *   - the PCR selection is the one asked for (sha256 bank only);
 *   - pcrDigest is the hash (the signing scheme's hash) of the presented PCR values,
 *     concatenated in selection order (Part 3 §18.4.1).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
export { quoteQualifyingData } from '../../../agent/attest/tpm/qualifying-data.js';
import { HASHES, TPM_ALG } from './alg.js';
import { parseQuoteAttest, parseSignature, type QuoteAttest } from './attest.js';
import { missingAttributes, objectName, parsePublic, type TpmPublic } from './public.js';
import { toHex } from './reader.js';
import { verifyTpmSignature } from './signature.js';

export interface QuoteEvidence {
  /** The AK's TPM2B_PUBLIC (or TPMT_PUBLIC). */
  akPublic: Uint8Array;
  /** TPMS_ATTEST as the TPM signed it. */
  attest: Uint8Array;
  /** TPMT_SIGNATURE. */
  signature: Uint8Array;
  /** sha256 PCR index -> value. */
  pcrs: ReadonlyMap<number, Uint8Array>;
}

export interface QuoteExpectation {
  /** The AK Name enrolled for the device (nameAlg || digest). */
  akName: Uint8Array;
  /** extraData the quote must carry (see quoteQualifyingData). */
  qualifyingData: Uint8Array;
  /** The sha256 PCRs the broker asked to be quoted. */
  pcrs: readonly number[];
}

export type QuoteResult = { ok: true; attest: QuoteAttest; ak: TpmPublic } | { ok: false; reason: string };

const AK_ATTRIBUTES = ['restricted', 'sign', 'fixedTPM', 'fixedParent', 'sensitiveDataOrigin'] as const;

export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

/** An AK fit to attest: restricted signing, fixed to its TPM, made inside it, not a decryption key. */
export function checkAkPublic(ak: TpmPublic): string | undefined {
  const missing = missingAttributes(ak, [...AK_ATTRIBUTES]);
  if (missing.length) return `the AK lacks ${missing.join(', ')}`;
  if (ak.attributes & (1 << 17)) return 'the AK is also a decryption key';
  return undefined;
}

export function verifyQuote(evidence: QuoteEvidence, expected: QuoteExpectation): QuoteResult {
  let ak: TpmPublic;
  let attest: QuoteAttest;
  try {
    ak = parsePublic(evidence.akPublic);
    const badAk = checkAkPublic(ak);
    if (badAk) return { ok: false, reason: badAk };
    if (!sameBytes(objectName(ak), expected.akName))
      return { ok: false, reason: 'the quote is signed by another AK than the one enrolled for this device' };
    const sig = parseSignature(evidence.signature);
    if (!verifyTpmSignature(ak, evidence.attest, sig))
      return { ok: false, reason: 'the quote signature does not verify with the enrolled AK' };
    // Only now, signed by the TPM, are the TPMS_ATTEST fields worth reading.
    attest = parseQuoteAttest(evidence.attest);
    if (!sameBytes(attest.extraData, expected.qualifyingData))
      return { ok: false, reason: 'the quote does not answer this challenge (qualifying data differs: an old or replayed quote)' };
    const want = [...new Set(expected.pcrs)].sort((a, b) => a - b);
    const sel = attest.pcrSelect.filter((s) => s.pcrs.length > 0);
    if (sel.length !== 1 || sel[0]!.hash !== TPM_ALG.SHA256 || sel[0]!.pcrs.join(',') !== want.join(',')) {
      return {
        ok: false,
        reason: `the quote selects ${sel.map((s) => `${HASHES[s.hash]?.name ?? `0x${s.hash.toString(16)}`}:${s.pcrs.join(',')}`).join(' ') || 'no PCRs'}, not sha256:${want.join(',')}`,
      };
    }
    const presented = [...evidence.pcrs.keys()].sort((a, b) => a - b);
    if (presented.join(',') !== want.join(','))
      return { ok: false, reason: `the PCR values presented (${presented.join(',')}) are not the PCRs quoted (${want.join(',')})` };
    const h = createHash(HASHES[sig.hash]!.name);
    for (const n of want) {
      const v = evidence.pcrs.get(n)!;
      if (v.length !== 32) return { ok: false, reason: `PCR ${n}: a sha256 value is 32 bytes, not ${v.length}` };
      h.update(v);
    }
    if (!sameBytes(new Uint8Array(h.digest()), attest.pcrDigest))
      return { ok: false, reason: `the PCR values presented do not match the quoted PCR digest ${toHex(attest.pcrDigest)}` };
  } catch (err) {
    return { ok: false, reason: (err as Error).message };
  }
  return { ok: true, attest, ak };
}
