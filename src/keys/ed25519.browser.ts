/**
 * ed25519.ts for the console's browser bundle (scripts/build-console.mjs picks a
 * `.browser.ts` twin over its module): the same calls on @noble/curves, as a browser has no
 * node:crypto. The console only verifies checkpoint signatures; signing is here so that the
 * module keeps its shape.
 */
import { ed25519 } from '@noble/curves/ed25519.js';
import { SectorCryptError } from '../errors.js';

function seed(secretKey: Uint8Array): Uint8Array {
  if (secretKey.length !== 32) throw new SectorCryptError('ERR_ARGUMENT', 'an Ed25519 secret key is a 32-byte seed');
  return secretKey;
}

export function ed25519Sign(secretKey: Uint8Array, message: Uint8Array): Uint8Array {
  return ed25519.sign(message, seed(secretKey));
}

/** False for a wrong signature and for a malformed key or signature (never throws on input). */
export function ed25519Verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  if (publicKey.length !== 32 || signature.length !== 64) return false;
  try {
    // zip215: false is RFC 8032 strict, as OpenSSL verifies on the server.
    return ed25519.verify(signature, message, publicKey, { zip215: false });
  } catch {
    return false;
  }
}

export function ed25519PublicKey(secretKey: Uint8Array): Uint8Array {
  return ed25519.getPublicKey(seed(secretKey));
}

export function generateEd25519KeyPair(): { secretKey: Uint8Array; publicKey: Uint8Array } {
  const secretKey = ed25519.utils.randomSecretKey();
  return { secretKey, publicKey: ed25519.getPublicKey(secretKey) };
}
