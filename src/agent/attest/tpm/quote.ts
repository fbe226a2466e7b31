/**
 * TPM2_Quote (TPM 2.0 Part 3 §18.4) with the AK over sha256 PCRs: the TPMS_ATTEST bytes the
 * TPM signed, the TPMT_SIGNATURE, and the PCR values tpm2_quote read with it.
 */
import { SectorCryptError } from '../../../errors.js';
import { checkAk, type AkRecord } from './ak.js';
import type { TempDir, TpmTools } from './tools.js';

export interface TpmQuote {
  /** TPMS_ATTEST as signed (Part 2 §10.12.12). */
  attest: Uint8Array;
  /** TPMT_SIGNATURE (Part 2 §11.3.4). */
  signature: Uint8Array;
  /** sha256 PCR index -> value, for the PCRs quoted. */
  pcrs: Map<number, Uint8Array>;
}

export function checkPcrList(pcrs: readonly number[]): number[] {
  const list = [...new Set(pcrs)].sort((a, b) => a - b);
  if (list.length === 0 || list.some((n) => !Number.isInteger(n) || n < 0 || n > 23))
    throw new SectorCryptError('ERR_ARGUMENT', 'PCRs to quote: 0 to 23, at least one');
  return list;
}

/** Split tpm2-tools' "values" output (digests back to back, in ascending PCR order). */
export function splitPcrValues(pcrs: number[], bytes: Uint8Array): Map<number, Uint8Array> {
  if (bytes.length !== pcrs.length * 32)
    throw new SectorCryptError('ERR_TPM', `the TPM returned ${bytes.length} bytes of PCR values for ${pcrs.length} sha256 PCRs`);
  return new Map(pcrs.map((n, i) => [n, bytes.slice(i * 32, i * 32 + 32)]));
}

export async function quote(
  tools: TpmTools,
  dir: TempDir,
  ak: AkRecord,
  pcrList: readonly number[],
  qualifyingData: Uint8Array,
): Promise<TpmQuote> {
  const pcrs = checkPcrList(pcrList);
  if (qualifyingData.length < 1 || qualifyingData.length > 64) throw new SectorCryptError('ERR_ARGUMENT', 'qualifying data: 1 to 64 bytes');
  await checkAk(tools, dir, ak);
  for (let attempt = 1; ; attempt++) {
    try {
      await tools.run([
        'tpm2_quote',
        '-c',
        ak.handle,
        '-l',
        `sha256:${pcrs.join(',')}`,
        '-q',
        Buffer.from(qualifyingData).toString('hex'),
        '-g',
        'sha256',
        '-m',
        dir.file('quote.msg'),
        '-s',
        dir.file('quote.sig'),
        '-f',
        'tss',
        '-o',
        dir.file('quote.pcrs'),
        '-F',
        'values',
      ]);
      break;
    } catch (err) {
      // tpm2_quote reads the PCRs after the quote and checks them against its digest: a PCR
      // extended in between (IMA extends PCR 10 whenever a file is measured) fails that
      // check. Quote again; the broker checks the values against the digest all the same.
      if (!(err instanceof SectorCryptError && PCRS_MOVED.test(err.message)) || attempt >= QUOTE_ATTEMPTS) {
        if (err instanceof SectorCryptError && PCRS_MOVED.test(err.message))
          throw new SectorCryptError('ERR_TPM', `the quoted PCRs changed during each of ${attempt} quotes`, { cause: err });
        throw err;
      }
    } finally {
      await tools.flush();
    }
  }
  return {
    attest: await dir.read('quote.msg'),
    signature: await dir.read('quote.sig'),
    pcrs: splitPcrValues(pcrs, await dir.read('quote.pcrs')),
  };
}

/** tpm2_quote's message when the PCRs it read after quoting do not hash to the quote's digest. */
const PCRS_MOVED = /PCR composite/;
export const QUOTE_ATTEMPTS = 5;

export async function readPcrs(tools: TpmTools, dir: TempDir, pcrList: readonly number[]): Promise<Map<number, Uint8Array>> {
  const pcrs = checkPcrList(pcrList);
  await tools.run(['tpm2_pcrread', `sha256:${pcrs.join(',')}`, '-o', dir.file('pcrs.bin')]);
  return splitPcrValues(pcrs, await dir.read('pcrs.bin'));
}
