/**
 * The endorsement key: made from the TPM's endorsement seed with the TCG default template
 * (tpm2_createek; TCG EK Credential Profile 2.0 §2.1.5 templates L-1 RSA-2048 and L-2 ECC
 * NIST P-256), and its certificate from the manufacturer's NV index (same profile §2.2.1.4:
 * 0x01c00002 RSA-2048, 0x01c0000a ECC P-256).
 */
import { SectorCryptError } from '../../../errors.js';
import type { TempDir, TpmTools } from './tools.js';

export type EkAlg = 'rsa' | 'ecc';

export const EK_CERT_NV_INDEX: Record<EkAlg, string> = { rsa: '0x01c00002', ecc: '0x01c0000a' };

export interface Endorsement {
  alg: EkAlg;
  /** TPM2B_PUBLIC of the EK, as the TPM marshals it. */
  public: Uint8Array;
  /** The EK certificate (DER), NV padding removed. */
  certificate: Uint8Array;
}

/** A DER SEQUENCE's own length: NV indexes may be larger than the certificate they hold. */
export function trimDer(bytes: Uint8Array): Uint8Array {
  if (bytes.length < 2 || bytes[0] !== 0x30)
    throw new SectorCryptError('ERR_TPM', 'the EK certificate NV index does not hold a DER certificate');
  const first = bytes[1]!;
  let len: number;
  let head: number;
  if (first < 0x80) {
    len = first;
    head = 2;
  } else {
    const n = first & 0x7f;
    if (n < 1 || n > 3 || bytes.length < 2 + n)
      throw new SectorCryptError('ERR_TPM', 'the EK certificate NV index does not hold a DER certificate');
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + bytes[2 + i]!;
    head = 2 + n;
  }
  if (head + len > bytes.length) throw new SectorCryptError('ERR_TPM', 'the EK certificate in NV is truncated');
  return bytes.subarray(0, head + len);
}

/** Which EK certificate the TPM holds: RSA first (what every TPM ships), then ECC P-256. */
export async function readEkCertificate(tools: TpmTools, dir: TempDir): Promise<{ alg: EkAlg; certificate: Uint8Array }> {
  const reasons: string[] = [];
  for (const alg of ['rsa', 'ecc'] as const) {
    const out = dir.file(`ekcert-${alg}.der`);
    try {
      await tools.run(['tpm2_nvread', EK_CERT_NV_INDEX[alg], '-o', out]);
    } catch (err) {
      reasons.push(`${EK_CERT_NV_INDEX[alg]}: ${(err as Error).message}`);
      continue;
    }
    return { alg, certificate: trimDer(await dir.read(`ekcert-${alg}.der`)) };
  }
  throw new SectorCryptError('ERR_TPM', `the TPM holds no EK certificate (${reasons.join('; ')})`);
}

/** Load the EK (transient) into `ek.ctx` of `dir`; returns its TPM2B_PUBLIC. */
export async function createEk(tools: TpmTools, dir: TempDir, alg: EkAlg): Promise<Uint8Array> {
  await tools.run(['tpm2_createek', '-c', dir.file('ek.ctx'), '-G', alg, '-u', dir.file('ek.pub'), '-f', 'tss']);
  // The context file keeps the object: flush the loaded copy, so a TPM without a resource
  // manager (three object slots on swtpm) has room for the next step.
  await tools.flush();
  return dir.read('ek.pub');
}

export async function readEndorsement(tools: TpmTools, dir: TempDir): Promise<Endorsement> {
  const { alg, certificate } = await readEkCertificate(tools, dir);
  return { alg, public: await createEk(tools, dir, alg), certificate };
}
