/**
 * Inclusion and consistency proofs (RFC 9162 2.1.3.1 and 2.1.4.1). The recursion is over
 * index ranges only (depth <= 64); subtree roots come from a NodeSource (tree-nodes.ts).
 */
import { SectorCryptError } from '../errors.js';
import { leafArraySource, rangeRoot, type NodeSource } from './tree-nodes.js';

/** Leaf hashes by index (O(n) per proof), or a NodeSource such as TreeNodes (O(log^2 n)). */
export type ProofSource = readonly Uint8Array[] | NodeSource;

function sourceOf(tree: ProofSource): NodeSource {
  return Array.isArray(tree) ? leafArraySource(tree as readonly Uint8Array[]) : (tree as NodeSource);
}

/** Largest power of two smaller than n (n >= 2): the split point k of RFC 9162 2.1.1. */
export function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

function checkSize(source: NodeSource, treeSize: number): void {
  if (!Number.isSafeInteger(treeSize) || treeSize < 0 || treeSize > source.size) {
    throw new SectorCryptError('ERR_ARGUMENT', `tree size ${treeSize} is outside the ${source.size} leaves held`);
  }
}

/** PATH(m, D[n]) of 2.1.3.1: sibling hashes from the leaf up to the root. */
export function inclusionProof(tree: ProofSource, leafIndex: number, treeSize: number): Uint8Array[] {
  const source = sourceOf(tree);
  checkSize(source, treeSize);
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
      path.push(rangeRoot(source, start + k, end));
    } else {
      walk(m - k, start + k, end);
      path.push(rangeRoot(source, start, start + k));
    }
  };
  walk(leafIndex, 0, treeSize);
  return path;
}

/** PROOF(m, D[n]) of 2.1.4.1: proves the tree of size m is a prefix of the one of size n. */
export function consistencyProof(tree: ProofSource, fromSize: number, toSize: number): Uint8Array[] {
  const source = sourceOf(tree);
  checkSize(source, toSize);
  if (!Number.isSafeInteger(fromSize) || fromSize < 1 || fromSize > toSize) {
    throw new SectorCryptError('ERR_ARGUMENT', `no consistency proof from size ${fromSize} to ${toSize}`);
  }
  const proof: Uint8Array[] = [];
  // SUBPROOF(m, D[start:end], b): b is true while D[start:end] is still the whole old tree's path.
  const sub = (m: number, start: number, end: number, whole: boolean): void => {
    const n = end - start;
    if (m === n) {
      if (!whole) proof.push(rangeRoot(source, start, end));
      return;
    }
    const k = splitPoint(n);
    if (m <= k) {
      sub(m, start, start + k, whole);
      proof.push(rangeRoot(source, start + k, end));
    } else {
      sub(m - k, start + k, end, false);
      proof.push(rangeRoot(source, start, start + k));
    }
  };
  sub(fromSize, 0, toSize, true);
  return proof;
}
