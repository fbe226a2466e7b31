/**
 * The anti-forensic splitter of LUKS (af type "luks1"): a key becomes `stripes` blocks
 * that must all be read back to recover it, so wiping any part of a key slot destroys it.
 */
import { createHash, randomFillSync } from 'node:crypto';
import { SectorCryptError } from '../errors.js';
import { wipe } from '../bytes.js';

const HASHES: Record<string, number> = { sha1: 20, sha256: 32, sha512: 64 };

function digestLength(hash: string): number {
  const n = HASHES[hash];
  if (n === undefined) throw new SectorCryptError('ERR_UNSUPPORTED', `anti-forensic hash "${hash}" is not supported`);
  return n;
}

/** Replaces `block` with its diffusion: each hash-sized piece i becomes H(be32(i) || piece). */
function diffuse(block: Uint8Array, hash: string): void {
  const size = digestLength(hash);
  const index = new Uint8Array(4);
  for (let i = 0, at = 0; at < block.length; i++, at += size) {
    const piece = block.subarray(at, Math.min(at + size, block.length));
    new DataView(index.buffer).setUint32(0, i, false);
    const h = createHash(hash).update(index).update(piece).digest();
    piece.set(h.subarray(0, piece.length));
    wipe(h);
  }
}

function xorInto(dst: Uint8Array, src: Uint8Array): void {
  for (let i = 0; i < dst.length; i++) dst[i] ^= src[i];
}

/** Splits `key` into key.length * stripes bytes. */
export function afSplit(key: Uint8Array, stripes: number, hash: string): Uint8Array {
  digestLength(hash);
  const n = key.length;
  const out = new Uint8Array(n * stripes);
  randomFillSync(out.subarray(0, n * (stripes - 1)));
  const d = new Uint8Array(n);
  for (let i = 0; i < stripes - 1; i++) {
    xorInto(d, out.subarray(i * n, (i + 1) * n));
    diffuse(d, hash);
  }
  const last = out.subarray((stripes - 1) * n);
  last.set(d);
  xorInto(last, key);
  wipe(d);
  return out;
}

/** Recovers a key of `keyLength` bytes from its split form. */
export function afMerge(split: Uint8Array, keyLength: number, stripes: number, hash: string): Uint8Array {
  digestLength(hash);
  if (split.length < keyLength * stripes) throw new SectorCryptError('ERR_CORRUPT_HEADER', 'key slot material is too short');
  const d = new Uint8Array(keyLength);
  for (let i = 0; i < stripes - 1; i++) {
    xorInto(d, split.subarray(i * keyLength, (i + 1) * keyLength));
    diffuse(d, hash);
  }
  xorInto(d, split.subarray((stripes - 1) * keyLength, stripes * keyLength));
  return d;
}
