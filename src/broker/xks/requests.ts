/**
 * The bodies of the four XKS API calls (xks_proxy_api_spec.md "API operations"), checked by
 * hand so that every refusal is the spec's ValidationException (or UnsupportedOperationException
 * for a value beyond what this proxy takes), never the broker's own error shape.
 *
 * Fields KMS may add later (Appendix B) are not refused: unknown requestMetadata strings become
 * claims too (`xks.<name>`), other unknown fields are ignored.
 */
import { XksError } from './errors.js';

export const XKS_LIMITS = {
  /** "Encrypt": the proxy MUST take 4300 bytes of plaintext (and of ciphertext in "Decrypt"); this one takes 8 KiB. */
  maxData: 8192,
  /** "Encrypt": AAD up to 8192 bytes MUST be handled. */
  maxAad: 8192,
  /** "Encrypt": at most 20 bytes of ciphertextMetadata. */
  maxCiphertextMetadata: 20,
  /** "API operations": ARNs up to 2048 characters; the same bound for every requestMetadata string. */
  maxMetadataString: 2048,
  /** requestMetadata fields in all, known and unknown. */
  maxMetadataFields: 32,
  /** "API operations": an externalKeyId is at most 128 characters of A-Z a-z 0-9 - . _ */
  maxKeyId: 128,
} as const;

export const EXTERNAL_KEY_ID = /^[A-Za-z0-9._-]{1,128}$/;

/** The spec's Base64 is standard Base64 with padding (RFC 4648 section 4). */
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

export type XksOperation = 'GetKeyMetadata' | 'Encrypt' | 'Decrypt' | 'GetHealthStatus';

/** requestMetadata: the named fields and any others KMS sends, as strings. */
export type RequestMetadata = Record<string, string> & { kmsRequestId: string; kmsOperation: string };

export interface MetadataRequest {
  requestMetadata: RequestMetadata;
}

export interface EncryptRequest {
  requestMetadata: RequestMetadata;
  plaintext: Uint8Array;
  aad?: Uint8Array;
  /** ciphertextDataIntegrityValueAlgorithm was sent (it can only be SHA_256). */
  cdiv: boolean;
}

export interface DecryptRequest {
  requestMetadata: RequestMetadata;
  ciphertext: Uint8Array;
  ciphertextMetadata?: Uint8Array;
  aad?: Uint8Array;
  iv: Uint8Array;
  tag: Uint8Array;
}

function invalid(why: string): never {
  throw new XksError('ValidationException', why);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Which requestMetadata fields each call must carry ("Request Payload Parameters" of each API). */
const REQUIRED: Record<XksOperation, readonly string[]> = {
  GetKeyMetadata: ['awsPrincipalArn', 'kmsOperation', 'kmsRequestId'],
  Encrypt: ['awsPrincipalArn', 'kmsKeyArn', 'kmsOperation', 'kmsRequestId'],
  Decrypt: ['awsPrincipalArn', 'kmsKeyArn', 'kmsOperation', 'kmsRequestId'],
  GetHealthStatus: ['kmsOperation', 'kmsRequestId'],
};

const KNOWN = ['awsPrincipalArn', 'awsSourceVpc', 'awsSourceVpce', 'kmsKeyArn', 'kmsOperation', 'kmsRequestId', 'kmsViaService'];

function requestMetadata(body: Record<string, unknown>, op: XksOperation): RequestMetadata {
  const m = body.requestMetadata;
  if (!isObject(m)) invalid('requestMetadata is required and is an object');
  const keys = Object.keys(m);
  if (keys.length > XKS_LIMITS.maxMetadataFields) invalid(`requestMetadata has more than ${XKS_LIMITS.maxMetadataFields} fields`);
  const out: Record<string, string> = Object.create(null);
  for (const key of keys) {
    const v = m[key];
    if (typeof v !== 'string') {
      if (KNOWN.includes(key)) invalid(`requestMetadata.${key} is a string`);
      continue; // a field of a later version of the spec, not a string: not a claim
    }
    if (v.length > XKS_LIMITS.maxMetadataString) invalid(`requestMetadata.${key} is over ${XKS_LIMITS.maxMetadataString} characters`);
    if (key.length > 128 || !/^[A-Za-z][A-Za-z0-9_]*$/.test(key)) continue;
    out[key] = v;
  }
  for (const key of REQUIRED[op]) if (out[key] === undefined || out[key] === '') invalid(`requestMetadata.${key} is required`);
  return { ...out } as RequestMetadata;
}

function bytes(body: Record<string, unknown>, field: string, max: number, required: true): Uint8Array;
function bytes(body: Record<string, unknown>, field: string, max: number, required: false): Uint8Array | undefined;
function bytes(body: Record<string, unknown>, field: string, max: number, required: boolean): Uint8Array | undefined {
  const v = body[field];
  if (v === undefined || v === null) {
    if (required) invalid(`${field} is required`);
    return undefined;
  }
  if (typeof v !== 'string' || !BASE64.test(v)) invalid(`${field} is a Base64 string`);
  // The length before decoding bounds the work; the exact one is checked after.
  if (v.length > Math.ceil(max / 3) * 4 + 4) throw new XksError('UnsupportedOperationException', `${field} is over ${max} bytes`);
  const out = new Uint8Array(Buffer.from(v, 'base64'));
  if (out.length > max) throw new XksError('UnsupportedOperationException', `${field} is over ${max} bytes`);
  return out;
}

function algorithm(body: Record<string, unknown>): void {
  const a = body.encryptionAlgorithm;
  if (a === undefined) invalid('encryptionAlgorithm is required');
  if (typeof a !== 'string') invalid('encryptionAlgorithm is a string');
  // "Encrypt": for v1 of the spec this MUST be AES_GCM.
  if (a !== 'AES_GCM') throw new XksError('UnsupportedOperationException', 'encryptionAlgorithm must be AES_GCM');
}

function object(body: unknown): Record<string, unknown> {
  if (!isObject(body)) invalid('the body is a JSON object');
  return body;
}

export function parseMetadataRequest(body: unknown, op: 'GetKeyMetadata' | 'GetHealthStatus'): MetadataRequest {
  return { requestMetadata: requestMetadata(object(body), op) };
}

export function parseEncryptRequest(body: unknown): EncryptRequest {
  const b = object(body);
  const requestMetadataOut = requestMetadata(b, 'Encrypt');
  algorithm(b);
  const plaintext = bytes(b, 'plaintext', XKS_LIMITS.maxData, true);
  const aad = bytes(b, 'additionalAuthenticatedData', XKS_LIMITS.maxAad, false);
  const c = b.ciphertextDataIntegrityValueAlgorithm;
  if (c !== undefined && c !== null) {
    if (typeof c !== 'string') invalid('ciphertextDataIntegrityValueAlgorithm is a string');
    // "Encrypt": for v1 this MUST be SHA_256.
    if (c !== 'SHA_256') throw new XksError('UnsupportedOperationException', 'ciphertextDataIntegrityValueAlgorithm must be SHA_256');
  }
  return { requestMetadata: requestMetadataOut, plaintext, ...(aad ? { aad } : {}), cdiv: c !== undefined && c !== null };
}

export function parseDecryptRequest(body: unknown): DecryptRequest {
  const b = object(body);
  const requestMetadataOut = requestMetadata(b, 'Decrypt');
  algorithm(b);
  const ciphertext = bytes(b, 'ciphertext', XKS_LIMITS.maxData, true);
  const ciphertextMetadata = bytes(b, 'ciphertextMetadata', XKS_LIMITS.maxCiphertextMetadata, false);
  const aad = bytes(b, 'additionalAuthenticatedData', XKS_LIMITS.maxAad, false);
  const iv = bytes(b, 'initializationVector', 16, true);
  const tag = bytes(b, 'authenticationTag', 16, true);
  // "Decrypt": the IV is 12 or 16 bytes, the tag exactly 16. A wrong length is a corrupt input.
  if (iv.length !== 12 && iv.length !== 16) throw new XksError('InvalidCiphertextException', 'initializationVector is 12 or 16 bytes');
  if (tag.length !== 16) throw new XksError('InvalidCiphertextException', 'authenticationTag is 16 bytes');
  return {
    requestMetadata: requestMetadataOut,
    ciphertext,
    ...(ciphertextMetadata && ciphertextMetadata.length > 0 ? { ciphertextMetadata } : {}),
    ...(aad ? { aad } : {}),
    iv,
    tag,
  };
}
