/**
 * Inclusion and consistency proofs built from a log's leaf hashes (RFC 9162 2.1.3.1 and
 * 2.1.4.1). The recursion is over index ranges only (depth <= 64); each subtree root is one
 * streaming pass over its leaves, so a proof costs O(n) hashing and no copies of the list.
 * A broker with millions of leaves should cache subtree roots; the output is the same.
 */
import { SectorCryptError } from '../errors.js';
import { CompactRange } from './compact-range.js';

/** Leaf hashes by index; an array works, and so does a store-backed view. */
export interface LeafHashes {
  readonly length: number;
  readonly [index: number]: Uint8Array;
}

/** MTH(D[start:end]). */
export function subtreeRoot(leaves: LeafHashes, start: number, end: number): Uint8Array {
  const range = new CompactRange();
  for (let i = start; i < end; i++) range.append(leaves[i]!);
  return range.root();
}

/** Largest power of two smaller than n (n >= 2): the split point k of RFC 9162 2.1.1. */
export function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

function checkSize(leaves: LeafHashes, treeSize: number): void {
  if (!Number.isSafeInteger(treeSize) || treeSize < 0 || treeSize > leaves.length) {
    throw new SectorCryptError('ERR_ARGUMENT', `tree size ${treeSize} is outside the ${leaves.length} leaves held`);
  }
}

/** PATH(m, D[n]) of 2.1.3.1: sibling hashes from the leaf up to the root. */
export function inclusionProof(leaves: LeafHashes, leafIndex: number, treeSize: number): Uint8Array[] {
  checkSize(leaves, treeSize);
  if (!Number.isSafeInteger(leafIndex) || leafIndex < 0 || leafIndex >= treeSize) {
    throw new SectorCryptError('ERR_ARGUMENT', `leaf index ${leafIndex} is not in a tree of size ${treeSize}`);
  }
  const path: Uint8Array[] = [];
  const walk = (m: number, start: number, end: number): void => {
    const n = end - start;
    if (n === 1) return;
    const k = splitPoint(n);
    if (m < k) {
      walk(m, start, start + k);
      path.push(subtreeRoot(leaves, start + k, end));
    } else {
      walk(m - k, start + k, end);
      path.push(subtreeRoot(leaves, start, start + k));
    }
  };
  walk(leafIndex, 0, treeSize);
  return path;
}

/** PROOF(m, D[n]) of 2.1.4.1: proves the tree of size m is a prefix of the one of size n. */
export function consistencyProof(leaves: LeafHashes, fromSize: number, toSize: number): Uint8Array[] {
  checkSize(leaves, toSize);
  if (!Number.isSafeInteger(fromSize) || fromSize < 1 || fromSize > toSize) {
    throw new SectorCryptError('ERR_ARGUMENT', `no consistency proof from size ${fromSize} to ${toSize}`);
  }
  const proof: Uint8Array[] = [];
  // SUBPROOF(m, D[start:end], b): b is true while D[start:end] is still the whole old tree's path.
  const sub = (m: number, start: number, end: number, whole: boolean): void => {
    const n = end - start;
    if (m === n) {
      if (!whole) proof.push(subtreeRoot(leaves, start, end));
      return;
    }
    const k = splitPoint(n);
    if (m <= k) {
      sub(m, start, start + k, whole);
      proof.push(subtreeRoot(leaves, start + k, end));
    } else {
      sub(m - k, start + k, end, false);
      proof.push(subtreeRoot(leaves, start, start + k));
    }
  };
  sub(fromSize, 0, toSize, true);
  return proof;
}
