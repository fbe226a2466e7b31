/**
 * Proof of possession at enrollment: the agent signs, with its new Ed25519 device key, a
 * message naming the enrollment token (by hash) and that public key, so a token caught in
 * transit cannot enroll some other key without the agent's secret half. Shared by the agent
 * and the broker; node:crypto only.
 */
import { createHash, createPrivateKey, createPublicKey, sign, verify } from 'node:crypto';

function message(token: string, publicKey: Uint8Array): Buffer {
  const h = createHash('sha256').update(token, 'utf8').digest('hex');
  return Buffer.from(`sectorcrypt-broker/v1 enroll\n${h}\n${Buffer.from(publicKey).toString('base64')}\n`, 'utf8');
}

const b64u = (b: Uint8Array) => Buffer.from(b).toString('base64url');

export function ed25519PublicKeyObject(publicKey: Uint8Array) {
  return createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: b64u(publicKey) }, format: 'jwk' });
}

export function ed25519PrivateKeyObject(secretKey: Uint8Array, publicKey: Uint8Array) {
  return createPrivateKey({ key: { kty: 'OKP', crv: 'Ed25519', x: b64u(publicKey), d: b64u(secretKey) }, format: 'jwk' });
}

export function signEnrollment(token: string, secretKey: Uint8Array, publicKey: Uint8Array): Uint8Array {
  return new Uint8Array(sign(null, message(token, publicKey), ed25519PrivateKeyObject(secretKey, publicKey)));
}

export function verifyEnrollment(token: string, publicKey: Uint8Array, proof: Uint8Array): boolean {
  try {
    return verify(null, message(token, publicKey), ed25519PublicKeyObject(publicKey), proof);
  } catch {
    return false;
  }
}
