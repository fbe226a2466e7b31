/**
 * Ed25519 (RFC 8032) through node:crypto (OpenSSL, about a hundred times faster than pure JS),
 * from raw 32-byte seeds and public keys: device keys and request signatures (RFC 9421), and
 * the audit log's checkpoint signatures. The DER copy of a seed is wiped once OpenSSL holds it.
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import { SectorCryptError } from '../errors.js';

// DER prefixes of PKCS #8 and SubjectPublicKeyInfo for Ed25519 (RFC 8410 section 7).
const PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');
const SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

function privateKey(seed: Uint8Array): KeyObject {
  if (seed.length !== 32) throw new SectorCryptError('ERR_ARGUMENT', 'an Ed25519 secret key is a 32-byte seed');
  const der = Buffer.concat([PKCS8_PREFIX, seed]);
  try {
    return createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
  } finally {
    der.fill(0); // our copy of the seed
  }
}

/**
 * A signing key imported once, for a caller that signs often (an agent signs every request):
 * importing a seed costs about ten signatures. The key lives in OpenSSL's memory.
 */
export function ed25519SigningKey(seed: Uint8Array): KeyObject {
  return privateKey(seed);
}

export function ed25519Sign(secret: Uint8Array | KeyObject, message: Uint8Array): Uint8Array {
  return new Uint8Array(sign(null, message, secret instanceof Uint8Array ? privateKey(secret) : secret));
}

/** False for a wrong signature and for a malformed key or signature (never throws on input). */
export function ed25519Verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  if (publicKey.length !== 32 || signature.length !== 64) return false;
  try {
    // JWK, not SPKI DER: OpenSSL 3's DER decoder costs about ten times as much.
    const x = Buffer.from(publicKey.buffer, publicKey.byteOffset, publicKey.byteLength).toString('base64url');
    const key = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x }, format: 'jwk' });
    return verify(null, message, key, signature);
  } catch {
    return false;
  }
}

/** The raw public key of a seed. */
export function ed25519PublicKey(seed: Uint8Array): Uint8Array {
  const der = createPublicKey(privateKey(seed)).export({ format: 'der', type: 'spki' });
  return new Uint8Array(der.subarray(SPKI_PREFIX.length));
}

/** A fresh device key pair: `secretKey` is the 32-byte seed, `publicKey` the raw 32 bytes. */
export function generateEd25519KeyPair(): { secretKey: Uint8Array; publicKey: Uint8Array } {
  const { privateKey: sk, publicKey: pk } = generateKeyPairSync('ed25519');
  const pkcs8 = sk.export({ format: 'der', type: 'pkcs8' });
  const secretKey = new Uint8Array(pkcs8.subarray(PKCS8_PREFIX.length));
  pkcs8.fill(0);
  return { secretKey, publicKey: new Uint8Array(pk.export({ format: 'der', type: 'spki' }).subarray(SPKI_PREFIX.length)) };
}
