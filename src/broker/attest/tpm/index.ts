/**
 * TPM 2.0 evidence, checked on the broker in our own TypeScript over node:crypto: structures,
 * EK certificates, MakeCredential, quotes, event logs.
 */
export {
  parsePublic,
  parseTpmtPublic,
  parseTpm2bPublic,
  objectName,
  publicKeyObject,
  type TpmPublic,
  type RsaPublic,
  type EccPublic,
} from './public.js';
export { parseQuoteAttest, parseSignature, type QuoteAttest, type TpmSignature, type PcrSelection } from './attest.js';
export { verifyTpmSignature } from './signature.js';
export { kdfa, kdfe } from './kdf.js';
export { makeCredential, checkEkForCredential, type MadeCredential } from './make-credential.js';
export { verifyEkCertificate, type EkTrust, type EkCertResult } from './ek-cert.js';
export { TPM_ALG, TPMA_OBJECT } from './alg.js';
export { verifyQuote, quoteQualifyingData, checkAkPublic, type QuoteEvidence, type QuoteExpectation, type QuoteResult } from './quote.js';
export {
  parseUefiEventLog,
  replayUefiLog,
  uefiFacts,
  parseVariableData,
  EV,
  type UefiEventLog,
  type UefiEvent,
  type UefiFacts,
} from './uefi-log.js';
export { parseImaLog, replayImaLog, type ImaEntry, type ImaReplay } from './ima-log.js';
export { verifyTpmEvidence, type TpmEvidence, type TpmExpectation, type TpmClaims, type TpmEvidenceResult } from './evidence.js';
