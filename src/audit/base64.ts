/** Strict standard base64 (RFC 4648 section 4, padded), as the C2SP formats require. */
import { SectorCryptError } from '../errors.js';

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

export function toBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

/** Decodes, refusing anything Buffer would quietly skip (whitespace, URL alphabet, no padding). */
export function fromBase64(text: string, what: string): Uint8Array {
  if (!BASE64.test(text)) throw new SectorCryptError('ERR_ARGUMENT', `${what} is not standard base64`);
  return new Uint8Array(Buffer.from(text, 'base64'));
}
