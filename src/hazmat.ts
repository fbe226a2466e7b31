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
// --- AES key wrap (RFC 3394) and key wrap with padding (RFC 5649).
export { aesKeyWrap, aesKeyUnwrap, aesKeyWrapPad, aesKeyUnwrapPad } from './keys/aes-kw.js';
