/** sectorcrypt: AES-XTS for sectors and AES-GCM for chunks, native where the CPU allows. */
export { backendInfo } from './backend/select.js';
export type { BackendChoice, BackendInfo } from './backend/select.js';
export { XtsCipher } from './xts.js';
export type { XtsOptions } from './xts.js';
export { AesGcm } from './gcm.js';
export type { AesGcmOptions } from './gcm.js';
export { SectorCryptError } from './errors.js';
export type { SectorCryptErrorCode } from './errors.js';

// --- Chunked encryption (C2SP Cobblestone-128/256); raw mode is in 'sectorcrypt/hazmat'.
export { encryptChunked, decryptChunked } from './chunked/oneshot.js';
export {
  createChunkedEncryptStream,
  createChunkedDecryptStream,
  createChunkedEncryptWebStream,
  createChunkedDecryptWebStream,
} from './chunked/streams.js';
export { openChunkedReader } from './chunked/reader.js';
export type { ChunkedReader } from './chunked/reader.js';
export type { ChunkedOptions } from './chunked/params.js';
// --- Sector streams (AES-XTS).
export {
  createSectorEncryptStream,
  createSectorDecryptStream,
  createSectorEncryptWebStream,
  createSectorDecryptWebStream,
} from './stream/sector.js';
export type { SectorStreamOptions } from './stream/sector.js';
export { Volume } from './volume/index.js';
export type {
  VolumeSummary,
  Passphrase,
  VolumeCreateOptions,
  VolumeOpenOptions,
  LuksOpenOptions,
  PlainOpenOptions,
  AddPassphraseOptions,
  BindBrokerOptions,
  VolumeAgent,
  BrokerPublicKey,
  RestoreHeaderOptions,
  PbkdfOptions,
  KdfType,
} from './volume/index.js';
// --- Envelope: several recipients per file, recipients changed without re-encrypting.
export * from './envelope/index.js';
