/**
 * The TPM 2.0 pieces of the broker protocol (docs/broker.md "Enrolling with a TPM", "Releasing
 * with a TPM quote"): what the agent sends at enrollment, the credential and the challenges the
 * broker answers, the evidence a release carries, and the bytes a quote is bound to.
 * Browser-safe: schemas and strings only.
 */
import { object, integer, string, type FromSchema } from './schema.js';

const b64 = (max: number) => ({ type: 'string', minLength: 1, maxLength: max, pattern: '^[A-Za-z0-9+/]*={0,2}$' }) as const;

/** A release that carries event logs may be this large (the IMA log grows with every file measured). */
export const TPM_BODY_LIMIT = 8 * 1024 * 1024;

/** How long a challenge (activation or quote) may be answered. */
export const TPM_CHALLENGE_SECONDS = 120;

/** `POST /v1/agent/enroll` with `tpm`: the EK certificate (DER) and the EK's and AK's TPM2B_PUBLIC, in base64. */
export const tpmEnrollSchema = object({ ekCertificate: b64(8192), ekPublic: b64(1024), akPublic: b64(1024) }, [
  'ekCertificate',
  'ekPublic',
  'akPublic',
]);
export type TpmEnroll = FromSchema<typeof tpmEnrollSchema>;

/** The enrollment answer's `tpm`: TPM2_MakeCredential's two blobs for the AK's Name, to activate. */
export const tpmCredentialAnswer = object({ challengeId: string, idObject: string, encryptedSecret: string, expiresAt: string }, [
  'challengeId',
  'idObject',
  'encryptedSecret',
  'expiresAt',
]);
export type TpmCredentialAnswer = FromSchema<typeof tpmCredentialAnswer>;

/** `POST /v1/agent/tpm/activate`: the secret TPM2_ActivateCredential returned. */
export const tpmActivateSchema = object({ challengeId: { type: 'string', minLength: 1, maxLength: 64 }, secret: b64(88) }, [
  'challengeId',
  'secret',
]);

/** `POST /v1/agent/tpm/challenge`'s answer: a one-time nonce and the sha256 PCRs to quote. */
export const tpmChallengeAnswer = object(
  { challengeId: string, nonce: string, pcrs: { type: 'array', items: integer }, expiresAt: string },
  ['challengeId', 'nonce', 'pcrs', 'expiresAt'],
);
export type TpmChallengeAnswer = FromSchema<typeof tpmChallengeAnswer>;

/** A release's TPM evidence: the quote (TPMS_ATTEST, TPMT_SIGNATURE), the PCR values, the event logs. */
export const tpmEvidenceSchema = object(
  {
    challengeId: { type: 'string', minLength: 1, maxLength: 64 },
    attest: b64(4096),
    signature: b64(2048),
    pcrs: {
      type: 'array',
      minItems: 1,
      maxItems: 24,
      items: object({ pcr: { type: 'integer', minimum: 0, maximum: 23 }, sha256: { type: 'string', pattern: '^[0-9a-f]{64}$' } }, [
        'pcr',
        'sha256',
      ]),
    },
    uefiLog: b64(TPM_BODY_LIMIT),
    imaLog: b64(TPM_BODY_LIMIT),
  },
  ['challengeId', 'attest', 'signature', 'pcrs'],
);

/** Written out (the agent exports it); kept equal to the schema's type below. */
export interface TpmEvidenceBody {
  challengeId: string;
  attest: string;
  signature: string;
  pcrs: { pcr: number; sha256: string }[];
  uefiLog?: string;
  imaLog?: string;
}

type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const sameAsSchema: Same<TpmEvidenceBody, FromSchema<typeof tpmEvidenceSchema>> = true;
void sameAsSchema;

/**
 * The part of a release request a quote is bound to (with the challenge): every field the
 * release depends on, the reply key above all, so a quote answers this request and no other
 * one that reuses its challenge. JSON of a fixed array: the same bytes on both ends.
 */
export function releaseBinding(body: {
  kind: string;
  keyId: string;
  version: number;
  enc: string;
  ciphertext: string;
  resource: string;
  replyKey: string;
}): Uint8Array {
  return new TextEncoder().encode(
    JSON.stringify(['sectorcrypt release', body.kind, body.keyId, body.version, body.enc, body.ciphertext, body.resource, body.replyKey]),
  );
}
