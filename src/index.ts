/** sectorcrypt: AES-XTS for sectors and AES-GCM for chunks, native where the CPU allows. */
export { backendInfo } from './backend/select.js';
export type { BackendChoice, BackendInfo } from './backend/select.js';
export { XtsCipher } from './xts.js';
export type { XtsOptions } from './xts.js';
export { AesGcm } from './gcm.js';
export type { AesGcmOptions } from './gcm.js';
export { SectorCryptError } from './errors.js';
export type { SectorCryptErrorCode } from './errors.js';

// --- Chunked encryption (C2SP Cobblestone): encryptChunked, decryptChunked,
//     createChunkedEncryptStream, createChunkedDecryptStream, openChunkedReader. Not yet here.
// --- Sector streams: createSectorEncryptStream, createSectorDecryptStream. Not yet here.
export { Volume } from './volume/index.js';
export type { VolumeSummary, Passphrase, VolumeCreateOptions, VolumeOpenOptions, LuksOpenOptions, PlainOpenOptions, AddPassphraseOptions, PbkdfOptions, KdfType } from './volume/index.js';
