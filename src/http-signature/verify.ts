/**
 * Verifying a signed agent request (RFC 9421 section 3.2) as the broker does: label `sig1`,
 * exactly the components @method, @target-uri and content-digest, Ed25519, `created` within
 * the skew window, the body matching its Content-Digest. Every refusal is ERR_UNAUTHENTICATED.
 * Whether the nonce was seen before is for the caller (the store) to decide.
 */
import { parseDictionary, serializeDictionary, type Dictionary } from 'structured-headers';
import { SectorCryptError } from '../errors.js';
import { signatureBase, signatureParams } from './base.js';
import { contentDigestMatches } from './digest.js';
import { ed25519Verify } from '../keys/ed25519.js';
import { ALGORITHM, COVERED, SIGNATURE_LABEL } from './sign.js';

export type HeaderBag = Record<string, string | string[] | undefined>;

export interface VerifyRequestInput {
  method: string;
  /** The full target URI as the broker reconstructs it (scheme, authority, path, query). */
  url: string;
  headers: HeaderBag;
  body: Uint8Array;
}

export interface VerifiedRequest {
  keyId: string;
  nonce: string;
  /** Unix seconds. */
  created: number;
}

const MAX_NONCE_LENGTH = 128;
const MAX_KEYID_LENGTH = 256;

function refuse(why: string): never {
  throw new SectorCryptError('ERR_UNAUTHENTICATED', `request signature refused: ${why}`);
}

/** A field's value; repeated fields are combined with ", " (RFC 9421 section 2.1). */
function field(headers: HeaderBag, name: string): string | undefined {
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() !== name || value === undefined) continue;
    return (Array.isArray(value) ? value.join(', ') : value).trim();
  }
  return undefined;
}

/**
 * Parses a Signature or Signature-Input field, accepting only its canonical serialization
 * (RFC 8941 section 4.1): two spellings of the same signature, such as base64 with different
 * padding bits, would otherwise both verify.
 */
function parseCanonical(value: string, name: string): Dictionary {
  let dict: Dictionary;
  try {
    dict = parseDictionary(value);
  } catch {
    refuse(`malformed ${name} field`);
  }
  let canonical: string;
  try {
    canonical = serializeDictionary(dict);
  } catch {
    refuse(`malformed ${name} field`);
  }
  if (canonical !== value) refuse(`${name} field is not in canonical form`);
  return dict;
}

export async function verifyRequest(
  request: VerifyRequestInput,
  lookupPublicKey: (keyId: string) => Promise<Uint8Array | null>,
  now: Date,
  maxSkewSeconds = 300,
): Promise<VerifiedRequest> {
  const inputField = field(request.headers, 'signature-input');
  const signatureField = field(request.headers, 'signature');
  const digestField = field(request.headers, 'content-digest');
  if (inputField === undefined || signatureField === undefined) refuse('no signature');
  if (digestField === undefined) refuse('no content-digest');

  const input = parseCanonical(inputField, 'signature-input').get(SIGNATURE_LABEL);
  const sig = parseCanonical(signatureField, 'signature').get(SIGNATURE_LABEL);
  if (input === undefined || sig === undefined) refuse(`no signature labelled ${SIGNATURE_LABEL}`);
  if (!Array.isArray(input[0])) refuse('signature-input is not an inner list');
  if (Array.isArray(sig[0]) || !(sig[0] instanceof ArrayBuffer) || sig[0].byteLength !== 64) refuse('signature is not a 64-byte sequence');

  // Exactly the three components, each once, without component parameters.
  const components = input[0].map(([id, params]) => (typeof id === 'string' && params.size === 0 ? id : null));
  const covered = new Set(components);
  if (components.length !== COVERED.length || covered.size !== COVERED.length || !COVERED.every((c) => covered.has(c))) {
    refuse(`the signature must cover exactly ${COVERED.join(', ')}`);
  }

  const params = input[1];
  const created = params.get('created');
  const nonce = params.get('nonce');
  const keyId = params.get('keyid');
  const alg = params.get('alg');
  const expires = params.get('expires');
  if (!Number.isSafeInteger(created)) refuse('created is missing or not an integer');
  if (typeof nonce !== 'string' || nonce.length === 0 || nonce.length > MAX_NONCE_LENGTH) refuse('nonce is missing or malformed');
  if (typeof keyId !== 'string' || keyId.length === 0 || keyId.length > MAX_KEYID_LENGTH) refuse('keyid is missing or malformed');
  if (alg !== ALGORITHM) refuse(`alg must be ${ALGORITHM}`);

  const nowSeconds = Math.floor(now.getTime() / 1000);
  if (Math.abs(nowSeconds - (created as number)) > maxSkewSeconds)
    refuse(`created is more than ${maxSkewSeconds} s from the broker's clock`);
  if (expires !== undefined && (!Number.isSafeInteger(expires) || nowSeconds > (expires as number))) refuse('the signature has expired');

  if (!contentDigestMatches(digestField, request.body)) refuse('content-digest does not match the body');

  const values: Record<(typeof COVERED)[number], string> = {
    '@method': request.method,
    '@target-uri': request.url,
    'content-digest': digestField,
  };
  // The components in the order the signer listed them, and its parameters re-serialized
  // (section 3.2, step 5): canonical form was required above, so this is the signed text.
  const base = signatureBase(
    (components as string[]).map((c) => [c, values[c as (typeof COVERED)[number]]] as const),
    signatureParams(components as string[], [...params.entries()]),
  );
  if (base === null) refuse('a covered component contains CR or LF');

  const publicKey = await lookupPublicKey(keyId);
  if (publicKey === null) refuse('unknown key');
  if (!ed25519Verify(publicKey, new TextEncoder().encode(base), new Uint8Array(sig[0]))) refuse('bad signature');
  return { keyId, nonce, created: created as number };
}
