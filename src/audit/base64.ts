/**
 * Strict standard base64 (RFC 4648 section 4, padded), as the C2SP formats require, and hex.
 * Node's Buffer where there is one; atob/btoa in the console's browser bundle.
 */
import { SectorCryptError } from '../errors.js';

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const NodeBuffer = (globalThis as { Buffer?: typeof Buffer }).Buffer;

export function toBase64(bytes: Uint8Array): string {
  if (NodeBuffer) return NodeBuffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
  let binary = '';
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary);
}

/** Decodes, refusing anything Buffer would quietly skip (whitespace, URL alphabet, no padding). */
export function fromBase64(text: string, what: string): Uint8Array {
  if (!BASE64.test(text)) throw new SectorCryptError('ERR_ARGUMENT', `${what} is not standard base64`);
  if (NodeBuffer) return new Uint8Array(NodeBuffer.from(text, 'base64'));
  const binary = atob(text);
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  return out;
}

/** Lowercase hex. */
export function toHex(bytes: Uint8Array): string {
  let out = '';
  for (const b of bytes) out += b.toString(16).padStart(2, '0');
  return out;
}
