/**
 * Broker secret keys at rest: AES-256-GCM under the root key (a 32-byte file, mode 0600),
 * with `<tenant>/<keyId>/<version>` as AAD so that a sealed key moved to another row, key or
 * tenant does not open. A copy of the database alone opens nothing (CONTRIBUTING.md "The layers").
 *
 * Layout: 0x01 || root key id (16 bytes) || 12-byte nonce || ciphertext || 16-byte tag.
 * The id names the root key (rootKeyId: a hash, never the key), so the database refuses a
 * secret sealed under a root key that `broker root-key rotate` replaced (migration 8's
 * trigger). Secrets sealed before then have no prefix: nonce || ciphertext || tag, 60 bytes
 * for the 32-byte secrets the broker seals; they open as before and rotation rewrites them.
 */
import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';
import { SectorCryptError } from '../../errors.js';

const NONCE = 12;
const TAG = 16;
const ID = 16;
const FORMAT = 1;
const LEGACY_LENGTH = NONCE + 32 + TAG;

/** A root key's public name: 16 bytes of HMAC-SHA256 keyed with it (it reveals nothing of the key). */
export function rootKeyId(rootKey: Uint8Array): Uint8Array {
  return new Uint8Array(createHmac('sha256', rootKey).update('sectorcrypt-broker root key id v1').digest().subarray(0, ID));
}

function aad(tenantId: string, keyId: string, version: number): Buffer {
  return Buffer.from(`${tenantId}/${keyId}/${version}`, 'utf8');
}

export function sealAtRest(rootKey: Uint8Array, tenantId: string, keyId: string, version: number, secret: Uint8Array): Uint8Array {
  const nonce = randomBytes(NONCE);
  const c = createCipheriv('aes-256-gcm', rootKey, nonce);
  c.setAAD(aad(tenantId, keyId, version));
  const body = Buffer.concat([c.update(secret), c.final()]);
  return Buffer.concat([Uint8Array.of(FORMAT), rootKeyId(rootKey), nonce, body, c.getAuthTag()]);
}

/** The root key id a sealed secret names; undefined for one sealed before ids. */
export function sealedUnder(sealed: Uint8Array): Uint8Array | undefined {
  return sealed.length === LEGACY_LENGTH || sealed[0] !== FORMAT ? undefined : sealed.subarray(1, 1 + ID);
}

function openWith(rootKey: Uint8Array, tenantId: string, keyId: string, version: number, sealed: Uint8Array): Uint8Array {
  const box = sealedUnder(sealed) ? sealed.subarray(1 + ID) : sealed;
  if (box.length < NONCE + TAG) throw new SectorCryptError('ERR_AUTH', 'sealed key too short');
  const d = createDecipheriv('aes-256-gcm', rootKey, box.subarray(0, NONCE));
  d.setAAD(aad(tenantId, keyId, version));
  d.setAuthTag(box.subarray(box.length - TAG));
  try {
    const body = box.subarray(NONCE, box.length - TAG);
    return new Uint8Array(Buffer.concat([d.update(body), d.final()]));
  } catch (cause) {
    throw new SectorCryptError('ERR_AUTH', 'a broker key did not open under the root key', { cause });
  }
}

/**
 * A running broker's way back to its key file: after `broker root-key rotate` on another
 * broker sharing the database, the secrets no longer open under the key this process read at
 * start. Keyed by the root key's buffer, which every part of the broker shares.
 */
interface Reloader {
  /** The keys the data folder holds now (root.key, and root.key.new during a rotation). */
  candidates(): Uint8Array[];
  /** The message of ERR_ROOT_KEY_MISMATCH when none of them opens the secret. */
  mismatch: string;
}
const reloaders = new WeakMap<Uint8Array, Reloader>();

export function reloadRootKeyFrom(rootKey: Uint8Array, reloader: Reloader): void {
  reloaders.set(rootKey, reloader);
}

/**
 * The caller wipes the result when done. A secret that does not open under the broker's
 * root key is tried once more under the key files on disk; the one that opens it becomes
 * the broker's root key (in place, so every holder of the buffer has it).
 */
export function openAtRest(rootKey: Uint8Array, tenantId: string, keyId: string, version: number, sealed: Uint8Array): Uint8Array {
  try {
    return openWith(rootKey, tenantId, keyId, version, sealed);
  } catch (err) {
    const reloader = reloaders.get(rootKey);
    const named = sealedUnder(sealed);
    // Sealed under this very key and still not opening: damage, not another key.
    if (!reloader || (named && Buffer.compare(named, rootKeyId(rootKey)) === 0)) throw err;
    for (const candidate of reloader.candidates()) {
      try {
        const secret = openWith(candidate, tenantId, keyId, version, sealed);
        rootKey.set(candidate);
        return secret;
      } catch {
        // the next file, if any
      } finally {
        candidate.fill(0);
      }
    }
    throw new SectorCryptError('ERR_ROOT_KEY_MISMATCH', reloader.mismatch);
  }
}
