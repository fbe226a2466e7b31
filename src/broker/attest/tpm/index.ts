/**
 * TPM 2.0 evidence, checked on the broker in our own TypeScript over node:crypto: structures,
 * EK certificates, MakeCredential, quotes, event logs.
 */
export { parsePublic, parseTpmtPublic, parseTpm2bPublic, objectName, publicKeyObject, type TpmPublic, type RsaPublic, type EccPublic } from './public.js';
export { parseQuoteAttest, parseSignature, type QuoteAttest, type TpmSignature, type PcrSelection } from './attest.js';
export { verifyTpmSignature } from './signature.js';
export { kdfa, kdfe } from './kdf.js';
export { makeCredential, checkEkForCredential, type MadeCredential } from './make-credential.js';
export { verifyEkCertificate, type EkTrust, type EkCertResult } from './ek-cert.js';
export { TPM_ALG, TPMA_OBJECT } from './alg.js';
