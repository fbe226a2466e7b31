/**
 * RFC 9162 section 2.1.1 hashing with SHA-256: leaves are prefixed 0x00 and interior nodes
 * 0x01, so a leaf can never be passed off as a node (second-preimage protection).
 *
 *   leafHash(data)   = SHA-256(0x00 || data)
 *   nodeHash(l, r)   = SHA-256(0x01 || l || r)
 *   EMPTY_ROOT       = SHA-256("")  (the root of a tree with no leaves)
 *
 * hash.browser.ts is the same on @noble/hashes, for the console's bundle (no node:crypto there).
 */
import * as crypto from 'node:crypto';

const LEAF_PREFIX = new Uint8Array([0x00]);
const NODE_PREFIX = new Uint8Array([0x01]);

type OneShot = (algorithm: string, data: string | Uint8Array, encoding: 'buffer') => Buffer;
/** crypto.hash (Node >= 20.12) is about twice as fast as createHash for small inputs. */
const oneShot = (crypto as { hash?: OneShot }).hash;

/** Bytes in every hash of the tree. */
export const HASH_SIZE = 32;

export function leafHash(data: Uint8Array | string): Uint8Array {
  if (oneShot) return oneShot('sha256', typeof data === 'string' ? `\u0000${data}` : Buffer.concat([LEAF_PREFIX, data]), 'buffer');
  return crypto.createHash('sha256').update(LEAF_PREFIX).update(data).digest();
}

export function nodeHash(left: Uint8Array, right: Uint8Array): Uint8Array {
  if (oneShot) return oneShot('sha256', Buffer.concat([NODE_PREFIX, left, right]), 'buffer');
  return crypto.createHash('sha256').update(NODE_PREFIX).update(left).update(right).digest();
}

export const EMPTY_ROOT: Uint8Array = crypto.createHash('sha256').digest();

/** Plain SHA-256 of the parts, one after another (signed-note key IDs). */
export function sha256(...parts: (Uint8Array | string)[]): Uint8Array {
  const h = crypto.createHash('sha256');
  for (const part of parts) h.update(part);
  return new Uint8Array(h.digest());
}

/** Constant-length byte comparison; hashes are public, so timing does not matter here. */
export function sameHash(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
