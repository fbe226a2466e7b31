/**
 * The agent's TPM 2.0 driver (`--tpm [TCTI]`): tpm2-tools run without a shell, every file in
 * a private temp folder removed after each call.
 */
import { activateCredential } from './activate.js';
import { createAk, evictAk, loadAkRecord, saveAkRecord, type AkRecord } from './ak.js';
import { readEndorsement, type Endorsement } from './ek.js';
import { quote, readPcrs, type TpmQuote } from './quote.js';
import { parseTcti, tpmTools, withTempDir, type TpmTools } from './tools.js';

export { DEFAULT_TCTI, parseTcti } from './tools.js';
export { readEventLogs, UEFI_EVENT_LOG, IMA_EVENT_LOG, type EventLogs } from './event-logs.js';
export { credentialFile } from './activate.js';
export { trimDer, EK_CERT_NV_INDEX, type Endorsement, type EkAlg } from './ek.js';
export { AK_STATE_FILE, loadAkRecord, saveAkRecord, type AkRecord } from './ak.js';
export type { TpmQuote } from './quote.js';

export interface TpmDriverOptions {
  /** `--tpm` value: a TCTI string, or true/undefined for /dev/tpmrm0. */
  tcti?: string | true;
  /** Per tpm2-tools call. */
  timeoutMs?: number;
}

export class TpmDriver {
  readonly tools: TpmTools;

  constructor(options: TpmDriverOptions = {}) {
    this.tools = tpmTools(parseTcti(options.tcti), options.timeoutMs);
  }

  get tcti(): string {
    return this.tools.tcti;
  }

  /** EK public (TPM2B_PUBLIC) and certificate, for enrollment. */
  readEndorsement(): Promise<Endorsement> {
    return withTempDir((dir) => readEndorsement(this.tools, dir));
  }

  /** Make and persist a new AK under the EK of `ekAlg`. */
  createAk(ekAlg: Endorsement['alg'], akAlg: 'ecc' | 'rsa' = 'ecc'): Promise<AkRecord> {
    return withTempDir((dir) => createAk(this.tools, dir, ekAlg, akAlg));
  }

  activateCredential(ak: AkRecord, idObject: Uint8Array, encryptedSecret: Uint8Array): Promise<Uint8Array> {
    return withTempDir((dir) => activateCredential(this.tools, dir, ak, idObject, encryptedSecret));
  }

  quote(ak: AkRecord, pcrs: readonly number[], qualifyingData: Uint8Array): Promise<TpmQuote> {
    return withTempDir((dir) => quote(this.tools, dir, ak, pcrs, qualifyingData));
  }

  readPcrs(pcrs: readonly number[]): Promise<Map<number, Uint8Array>> {
    return withTempDir((dir) => readPcrs(this.tools, dir, pcrs));
  }

  evictAk(ak: AkRecord): Promise<void> {
    return evictAk(this.tools, ak);
  }

  static saveAk = saveAkRecord;
  static loadAk = loadAkRecord;
}
export { quoteQualifyingData } from './qualifying-data.js';
