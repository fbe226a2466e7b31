/**
 * Broker secret keys at rest: AES-256-GCM under the root key (a 32-byte file, mode 0600),
 * with `<tenant>/<keyId>/<version>` as AAD so that a sealed key moved to another row, key or
 * tenant does not open. A copy of the database alone opens nothing (CUSTODY.md "Layers").
 *
 * Layout: 12-byte nonce || ciphertext || 16-byte tag.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { SectorCryptError } from '../errors.js';

const NONCE = 12;
const TAG = 16;

function aad(tenantId: string, keyId: string, version: number): Buffer {
  return Buffer.from(`${tenantId}/${keyId}/${version}`, 'utf8');
}

export function sealAtRest(rootKey: Uint8Array, tenantId: string, keyId: string, version: number, secret: Uint8Array): Uint8Array {
  const nonce = randomBytes(NONCE);
  const c = createCipheriv('aes-256-gcm', rootKey, nonce);
  c.setAAD(aad(tenantId, keyId, version));
  const body = Buffer.concat([c.update(secret), c.final()]);
  return Buffer.concat([nonce, body, c.getAuthTag()]);
}

/** The caller wipes the result when done. */
export function openAtRest(rootKey: Uint8Array, tenantId: string, keyId: string, version: number, sealed: Uint8Array): Uint8Array {
  if (sealed.length < NONCE + TAG) throw new SectorCryptError('ERR_AUTH', 'sealed key too short');
  const d = createDecipheriv('aes-256-gcm', rootKey, sealed.subarray(0, NONCE));
  d.setAAD(aad(tenantId, keyId, version));
  d.setAuthTag(sealed.subarray(sealed.length - TAG));
  try {
    const body = sealed.subarray(NONCE, sealed.length - TAG);
    return new Uint8Array(Buffer.concat([d.update(body), d.final()]));
  } catch (cause) {
    throw new SectorCryptError('ERR_AUTH', 'a broker key did not open under the root key', { cause });
  }
}
