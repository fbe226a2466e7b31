/**
 * TPM2_ActivateCredential (TPM 2.0 Part 3 §12.5): the TPM opens a credential the broker made
 * for this AK's Name with the EK's public key, and only for an AK loaded in the same TPM.
 * The EK's authPolicy is PolicySecret(TPM_RH_ENDORSEMENT) (TCG EK Credential Profile §2.1.5),
 * so a policy session satisfied with tpm2_policysecret authorises the EK.
 */
import { SectorCryptError } from '../../../errors.js';
import { checkAk, type AkRecord } from './ak.js';
import { createEk } from './ek.js';
import type { TempDir, TpmTools } from './tools.js';

/** tpm2-tools' credential file: BE32 magic 0xBADCC0DE, BE32 version 1, then the two TPM2Bs. */
export function credentialFile(idObject: Uint8Array, encryptedSecret: Uint8Array): Uint8Array {
  if (idObject.length > 0xffff || encryptedSecret.length > 0xffff) throw new SectorCryptError('ERR_ARGUMENT', 'credential too large');
  const out = Buffer.alloc(8 + 2 + idObject.length + 2 + encryptedSecret.length);
  out.writeUInt32BE(0xbadcc0de, 0);
  out.writeUInt32BE(1, 4);
  out.writeUInt16BE(idObject.length, 8);
  out.set(idObject, 10);
  out.writeUInt16BE(encryptedSecret.length, 10 + idObject.length);
  out.set(encryptedSecret, 12 + idObject.length);
  return out;
}

/** The credential's secret; ERR_TPM when the TPM refuses it (made for another Name or EK). */
export async function activateCredential(
  tools: TpmTools,
  dir: TempDir,
  ak: AkRecord,
  idObject: Uint8Array,
  encryptedSecret: Uint8Array,
): Promise<Uint8Array> {
  await checkAk(tools, dir, ak);
  await createEk(tools, dir, ak.ekAlg);
  const cred = await dir.write('cred.blob', credentialFile(idObject, encryptedSecret));
  const session = dir.file('session.ctx');
  try {
    await tools.run(['tpm2_startauthsession', '--policy-session', '-S', session]);
    await tools.run(['tpm2_policysecret', '-S', session, '-c', 'e']);
    await tools.run([
      'tpm2_activatecredential',
      '-c',
      ak.handle,
      '-C',
      dir.file('ek.ctx'),
      '-i',
      cred,
      '-o',
      dir.file('secret.out'),
      '-P',
      `session:${session}`,
    ]);
  } finally {
    await tools.flush();
  }
  return dir.read('secret.out');
}
