/** The envelope (docs/envelope.md): one payload, several recipients, rewrapping without re-encryption. */
export { encryptEnvelope, decryptEnvelope } from './oneshot.js';
export type { EnvelopeEncryptOptions, EnvelopeDecryptOptions } from './oneshot.js';
export {
  createEnvelopeEncryptStream,
  createEnvelopeDecryptStream,
  createEnvelopeEncryptWebStream,
  createEnvelopeDecryptWebStream,
} from './streams.js';
export { openEnvelopeReader } from './reader.js';
export { rekeyEnvelope } from './rekey.js';
export type { RekeyOptions } from './rekey.js';
export { inspectEnvelope } from './inspect.js';
export type { EnvelopeSummary } from './inspect.js';
export { generateIdentity } from './generate.js';
export type { GeneratedIdentity, IdentityKind } from './generate.js';
export { envelopeBrokerSecrets } from './broker-secrets.js';
export type { EnvelopeBrokerSecrets } from './broker-secrets.js';
export type { Recipient } from './recipients.js';
export type { ThresholdOptions, MemberFailure } from './threshold.js';
export type { Identity, BrokerIdentity } from './identities.js';
export type { BrokerSealedSecret, BrokerKey } from './stanzas/broker.js';
export type { Argon2idCost } from './stanzas/argon2id.js';
export { DEFAULT_ARGON2ID, ARGON2ID_LIMITS } from './stanzas/argon2id.js';
export { readIdentityFile, readRecipientsFile, keyLines } from './key-files.js';
