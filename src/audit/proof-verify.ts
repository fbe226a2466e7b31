/**
 * Proof checks of RFC 9162 2.1.3.2 (inclusion) and 2.1.4.2 (consistency), in O(log n)
 * with no tree at hand. Sizes are JavaScript safe integers; halving uses Math.floor, not
 * `>>`, which would cut them to 32 bits. Both return false rather than throw, so a caller
 * decides what a failure means.
 */
import { HASH_SIZE, nodeHash, sameHash } from './hash.js';

const odd = (x: number): boolean => x % 2 === 1;
const half = (x: number): number => Math.floor(x / 2);
const isPowerOfTwo = (x: number): boolean => {
  while (x > 1 && x % 2 === 0) x /= 2;
  return x === 1;
};

/** Does `proof` place `leaf` at `leafIndex` in the tree of `treeSize` with this root? */
export function verifyInclusionProof(
  leafIndex: number,
  treeSize: number,
  leaf: Uint8Array,
  proof: readonly Uint8Array[],
  root: Uint8Array,
): boolean {
  if (!Number.isSafeInteger(leafIndex) || !Number.isSafeInteger(treeSize) || leafIndex < 0 || leafIndex >= treeSize) {
    return false;
  }
  if (leaf.length !== HASH_SIZE) {
    // Otherwise an empty leaf would "verify" against an empty root in a one-leaf tree.
    return false;
  }
  let fn = leafIndex;
  let sn = treeSize - 1;
  let r = leaf;
  for (const p of proof) {
    if (sn === 0) return false;
    if (odd(fn) || fn === sn) {
      r = nodeHash(p, r);
      // Skip the levels where this node has no right sibling (the tree's right edge).
      while (!odd(fn) && fn !== 0) {
        fn = half(fn);
        sn = half(sn);
      }
    } else {
      r = nodeHash(r, p);
    }
    fn = half(fn);
    sn = half(sn);
  }
  return sn === 0 && sameHash(r, root);
}

/** Is the tree (fromSize, fromRoot) a prefix of (toSize, toRoot), per `proof`? */
export function verifyConsistencyProof(
  fromSize: number,
  toSize: number,
  fromRoot: Uint8Array,
  toRoot: Uint8Array,
  proof: readonly Uint8Array[],
): boolean {
  if (!Number.isSafeInteger(fromSize) || !Number.isSafeInteger(toSize) || fromSize < 1 || fromSize > toSize) {
    // A proof from the empty tree says nothing (every tree extends it); callers special-case it.
    return false;
  }
  if (fromSize === toSize) return proof.length === 0 && sameHash(fromRoot, toRoot);
  if (proof.length === 0) return false;
  // Step 1: when the old tree is a perfect subtree, its root is the first path element.
  const path = isPowerOfTwo(fromSize) ? [fromRoot, ...proof] : [...proof];
  let fn = fromSize - 1;
  let sn = toSize - 1;
  while (odd(fn)) {
    fn = half(fn);
    sn = half(sn);
  }
  let fr = path[0]!;
  let sr = path[0]!;
  for (const c of path.slice(1)) {
    if (sn === 0) return false;
    if (odd(fn) || fn === sn) {
      fr = nodeHash(c, fr);
      sr = nodeHash(c, sr);
      while (!odd(fn) && fn !== 0) {
        fn = half(fn);
        sn = half(sn);
      }
    } else {
      sr = nodeHash(sr, c);
    }
    fn = half(fn);
    sn = half(sn);
  }
  return sn === 0 && sameHash(fr, fromRoot) && sameHash(sr, toRoot);
}
