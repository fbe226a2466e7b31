/**
 * sectorcrypt/hazmat: building blocks for protocol designers. Misuse (a repeated key and
 * base nonce) breaks confidentiality and integrity; applications want 'sectorcrypt'.
 */
export {
  encryptChunkedRaw,
  decryptChunkedRaw,
  createChunkedRawEncryptStream,
  createChunkedRawDecryptStream,
  createChunkedRawEncryptWebStream,
  createChunkedRawDecryptWebStream,
  openChunkedRawReader,
} from './chunked/raw.js';
export type { RawOptions } from './chunked/raw.js';
export type { ChunkedReader } from './chunked/reader.js';
