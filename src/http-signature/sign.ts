/**
 * Signing an agent request: RFC 9421 HTTP Message Signatures with Ed25519 (section 3.3.6),
 * label `sig1`, covering @method, @target-uri and the RFC 9530 Content-Digest of the body.
 */
import { randomBytes, type KeyObject } from 'node:crypto';
import { serializeDictionary } from 'structured-headers';
import { SectorCryptError } from '../errors.js';
import { signatureBase, signatureParams } from './base.js';
import { contentDigest } from './digest.js';
import { ed25519Sign } from '../keys/ed25519.js';

export const SIGNATURE_LABEL = 'sig1';
export const ALGORITHM = 'ed25519';
/** The covered components, in the order they are signed. */
export const COVERED = ['@method', '@target-uri', 'content-digest'] as const;

export interface SignRequestInput {
  method: string;
  /** The full target URI the request is sent to, exactly as the verifier will see it. */
  url: string;
  body: Uint8Array;
  /** The device id. */
  keyId: string;
  /** The 32-byte Ed25519 seed (not kept), or a key from ed25519SigningKey. */
  secretKey: Uint8Array | KeyObject;
  /** Unix seconds; now by default. */
  created?: number;
  /** Fresh random 128 bits (base64url) by default. */
  nonce?: string;
}

/** The headers to add to the request: content-digest, signature-input and signature. */
export function signRequest(input: SignRequestInput): Record<string, string> {
  const created = input.created ?? Math.floor(Date.now() / 1000);
  const nonce = input.nonce ?? randomBytes(16).toString('base64url');
  if (!Number.isSafeInteger(created) || created < 0) throw new SectorCryptError('ERR_ARGUMENT', 'created must be Unix seconds');
  const digest = contentDigest(input.body);
  let params: string;
  try {
    params = signatureParams(COVERED, [
      ['created', created],
      ['nonce', nonce],
      ['keyid', input.keyId],
      ['alg', ALGORITHM],
    ]);
  } catch (e) {
    // Structured Field strings are printable ASCII (RFC 8941 section 3.3.3).
    throw new SectorCryptError('ERR_ARGUMENT', 'the key id and nonce must be printable ASCII', { cause: e });
  }
  const base = signatureBase(
    [
      ['@method', input.method],
      ['@target-uri', input.url],
      ['content-digest', digest],
    ],
    params,
  );
  if (base === null) throw new SectorCryptError('ERR_ARGUMENT', 'the method and URL may not contain CR or LF');
  const signature = ed25519Sign(input.secretKey, new TextEncoder().encode(base));
  return {
    'content-digest': digest,
    'signature-input': `${SIGNATURE_LABEL}=${params}`,
    signature: serializeDictionary(new Map([[SIGNATURE_LABEL, [signature, new Map()]]])),
  };
}
