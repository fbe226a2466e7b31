/**
 * TPMS_ATTEST of a quote (TPM 2.0 Part 2 §10.12.12) and TPMT_SIGNATURE (Part 2 §11.3.4).
 */
import { TPM_ALG, TPM_GENERATED_VALUE, TPM_ST_ATTEST_QUOTE, HASHES } from './alg.js';
import { ByteReader, tpmFormatError } from './reader.js';

export interface PcrSelection {
  hash: number;
  /** PCR indexes selected, ascending. */
  pcrs: number[];
}

export interface QuoteAttest {
  magic: number;
  type: number;
  qualifiedSigner: Uint8Array;
  extraData: Uint8Array;
  /** TPMS_CLOCK_INFO (Part 2 §10.11.1). */
  clock: bigint;
  resetCount: number;
  restartCount: number;
  safe: boolean;
  firmwareVersion: bigint;
  /** TPMS_QUOTE_INFO (Part 2 §10.12.1). */
  pcrSelect: PcrSelection[];
  pcrDigest: Uint8Array;
}

/** TPML_PCR_SELECTION (Part 2 §10.9.7): count, then TPMS_PCR_SELECTION {hash, sizeofSelect, bitmap}. */
function readPcrSelection(r: ByteReader): PcrSelection[] {
  const count = r.u32('pcrSelect.count');
  // TPM_NUM_PCR_BANKS: no TPM has more than a handful of banks.
  if (count > 16) throw tpmFormatError(r.what, `pcrSelect.count ${count} exceeds 16`);
  const out: PcrSelection[] = [];
  for (let i = 0; i < count; i++) {
    const hash = r.u16('pcrSelect.hash');
    const size = r.u8('pcrSelect.sizeofSelect');
    if (size > 4) throw tpmFormatError(r.what, `pcrSelect.sizeofSelect ${size} exceeds 4`);
    const bitmap = r.bytesOf(size, 'pcrSelect.pcrSelect');
    const pcrs: number[] = [];
    // Bit n of octet n/8 selects PCR n (Part 2 §10.6.1).
    for (let n = 0; n < size * 8; n++) if (bitmap[n >> 3]! & (1 << (n & 7))) pcrs.push(n);
    out.push({ hash, pcrs });
  }
  return out;
}

export function parseQuoteAttest(bytes: Uint8Array): QuoteAttest {
  const r = new ByteReader(bytes, 'TPMS_ATTEST');
  const magic = r.u32('magic');
  if (magic !== TPM_GENERATED_VALUE) throw tpmFormatError('TPMS_ATTEST', `magic 0x${magic.toString(16)} is not TPM_GENERATED_VALUE`);
  const type = r.u16('type');
  if (type !== TPM_ST_ATTEST_QUOTE) throw tpmFormatError('TPMS_ATTEST', `type 0x${type.toString(16)} is not TPM_ST_ATTEST_QUOTE`);
  const qualifiedSigner = r.tpm2b('qualifiedSigner', 2 + 64);
  const extraData = r.tpm2b('extraData', 64);
  const clock = r.u64('clockInfo.clock');
  const resetCount = r.u32('clockInfo.resetCount');
  const restartCount = r.u32('clockInfo.restartCount');
  const safe = r.u8('clockInfo.safe');
  const firmwareVersion = r.u64('firmwareVersion');
  const pcrSelect = readPcrSelection(r);
  const pcrDigest = r.tpm2b('pcrDigest', 64);
  r.end();
  return {
    magic,
    type,
    qualifiedSigner,
    extraData,
    clock,
    resetCount,
    restartCount,
    safe: safe !== 0,
    firmwareVersion,
    pcrSelect,
    pcrDigest,
  };
}

export type TpmSignature =
  | { sigAlg: typeof TPM_ALG.ECDSA; hash: number; r: Uint8Array; s: Uint8Array }
  | { sigAlg: typeof TPM_ALG.RSASSA | typeof TPM_ALG.RSAPSS; hash: number; sig: Uint8Array };

export function parseSignature(bytes: Uint8Array): TpmSignature {
  const r = new ByteReader(bytes, 'TPMT_SIGNATURE');
  const sigAlg = r.u16('sigAlg');
  const hash = r.u16('hash');
  if (!HASHES[hash]) throw tpmFormatError('TPMT_SIGNATURE', `hash 0x${hash.toString(16)} is not supported`);
  let out: TpmSignature;
  if (sigAlg === TPM_ALG.ECDSA) {
    out = { sigAlg, hash, r: r.tpm2b('signatureR', 66), s: r.tpm2b('signatureS', 66) };
  } else if (sigAlg === TPM_ALG.RSASSA || sigAlg === TPM_ALG.RSAPSS) {
    out = { sigAlg, hash, sig: r.tpm2b('sig', 512) };
  } else {
    throw tpmFormatError('TPMT_SIGNATURE', `sigAlg 0x${sigAlg.toString(16)} is not ECDSA, RSASSA or RSAPSS`);
  }
  r.end();
  return out;
}
