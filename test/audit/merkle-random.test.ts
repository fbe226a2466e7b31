/**
 * Random trees of every size 1..64: the incremental root equals a plain recursive MTH
 * (RFC 9162 2.1.1, written here independently as the oracle), every inclusion proof of every
 * leaf verifies and fails when moved or bent, and every consistency proof between every pair
 * of sizes verifies and fails against a different tree.
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { CompactRange, rootHash } from '../../src/audit/compact-range.js';
import { leafHash, nodeHash } from '../../src/audit/hash.js';
import { consistencyProof, inclusionProof } from '../../src/audit/proof-build.js';
import { verifyConsistencyProof, verifyInclusionProof } from '../../src/audit/proof-verify.js';
import { rangeRoot, TreeNodes } from '../../src/audit/tree-nodes.js';

function oracleRoot(leaves: Uint8Array[]): Uint8Array {
  if (leaves.length === 1) return leaves[0]!;
  let k = 1;
  while (k * 2 < leaves.length) k *= 2;
  return nodeHash(oracleRoot(leaves.slice(0, k)), oracleRoot(leaves.slice(k)));
}

const MAX = 64;
const leaves = Array.from({ length: MAX }, () => leafHash(randomBytes(1 + (randomBytes(1)[0]! % 40))));
const roots = [new Uint8Array(0), ...Array.from({ length: MAX }, (_, i) => oracleRoot(leaves.slice(0, i + 1)))];
const flip = (h: Uint8Array): Uint8Array => {
  const c = Uint8Array.from(h);
  c[c.length - 1]! ^= 1;
  return c;
};

describe('random trees of size 1..64', () => {
  it('the compact range and rootHash agree with the recursive oracle at every size', () => {
    const range = new CompactRange();
    for (let n = 1; n <= MAX; n++) {
      range.append(leaves[n - 1]!);
      expect(Buffer.from(range.root()).equals(roots[n]!), `size ${n}`).toBe(true);
      expect(Buffer.from(rootHash(leaves.slice(0, n))).equals(roots[n]!)).toBe(true);
      // Resuming from a saved frontier gives the same root as the unbroken range.
      const resumed = new CompactRange(n, range.frontier());
      resumed.append(leaves[0]!);
      expect(Buffer.from(resumed.root()).equals(oracleRoot([...leaves.slice(0, n), leaves[0]!]))).toBe(true);
    }
  });

  it('every inclusion proof of every leaf verifies, and only at its own index, leaf and root', () => {
    for (let n = 1; n <= MAX; n++) {
      for (let m = 0; m < n; m++) {
        const proof = inclusionProof(leaves, m, n);
        expect(verifyInclusionProof(m, n, leaves[m]!, proof, roots[n]!), `leaf ${m} of ${n}`).toBe(true);
        expect(verifyInclusionProof(m, n, flip(leaves[m]!), proof, roots[n]!)).toBe(false);
        expect(verifyInclusionProof(m, n, leaves[m]!, proof, flip(roots[n]!))).toBe(false);
        if (n > 1) expect(verifyInclusionProof((m + 1) % n, n, leaves[m]!, proof, roots[n]!)).toBe(false);
        if (proof.length > 0) {
          expect(verifyInclusionProof(m, n, leaves[m]!, [...proof.slice(0, -1), flip(proof.at(-1)!)], roots[n]!)).toBe(false);
          expect(verifyInclusionProof(m, n, leaves[m]!, proof.slice(1), roots[n]!)).toBe(false);
        }
        expect(verifyInclusionProof(m, n, leaves[m]!, [...proof, leaves[0]!], roots[n]!)).toBe(false);
      }
    }
  });

  it('every consistency proof between every pair of sizes verifies, and fails for a rewritten tree', () => {
    for (let n = 1; n <= MAX; n++) {
      for (let m = 1; m <= n; m++) {
        const proof = consistencyProof(leaves, m, n);
        expect(verifyConsistencyProof(m, n, roots[m]!, roots[n]!, proof), `${m} -> ${n}`).toBe(true);
        expect(verifyConsistencyProof(m, n, flip(roots[m]!), roots[n]!, proof)).toBe(false);
        expect(verifyConsistencyProof(m, n, roots[m]!, flip(roots[n]!), proof)).toBe(false);
        if (proof.length > 0) {
          expect(verifyConsistencyProof(m, n, roots[m]!, roots[n]!, [flip(proof[0]!), ...proof.slice(1)])).toBe(false);
          expect(verifyConsistencyProof(m, n, roots[m]!, roots[n]!, proof.slice(0, -1))).toBe(false);
        }
        // A different old tree of the same size (the log rewrote leaf 0) is caught.
        const rewritten = rootHash([flip(leaves[0]!), ...leaves.slice(1, m)]);
        expect(verifyConsistencyProof(m, n, rewritten, roots[n]!, proof)).toBe(false);
      }
    }
  });

  it('refuses proofs for indexes and sizes outside the tree', () => {
    expect(() => inclusionProof(leaves, 5, 5)).toThrow(expect.objectContaining({ code: 'ERR_ARGUMENT' }));
    expect(() => inclusionProof(leaves, 0, MAX + 1)).toThrow(expect.objectContaining({ code: 'ERR_ARGUMENT' }));
    expect(() => consistencyProof(leaves, 0, 4)).toThrow(expect.objectContaining({ code: 'ERR_ARGUMENT' }));
    expect(() => consistencyProof(leaves, 5, 4)).toThrow(expect.objectContaining({ code: 'ERR_ARGUMENT' }));
    expect(verifyInclusionProof(-1, 4, leaves[0]!, [], roots[4]!)).toBe(false);
    expect(verifyConsistencyProof(0, 4, roots[1]!, roots[4]!, [])).toBe(false);
  });

  it('handles tree sizes above 2^32 without losing bits (a lone rightmost leaf)', () => {
    // In a tree of 2^33 + 1 leaves the last leaf is the right child of the root, so its proof
    // is the single root of the first 2^33 leaves; `>>` arithmetic would get this wrong.
    const left = leafHash('left subtree stand-in');
    const last = leafHash('last');
    const size = 2 ** 33 + 1;
    expect(verifyInclusionProof(size - 1, size, last, [left], nodeHash(left, last))).toBe(true);
    expect(verifyInclusionProof(size - 2, size, last, [left], nodeHash(left, last))).toBe(false);
  });
});

describe('TreeNodes (stored subtree roots for a broker)', () => {
  it('gives the same proofs as the leaf array for every leaf and pair of sizes up to 64', () => {
    const nodes = new TreeNodes();
    for (const leaf of leaves) nodes.append(leaf);
    for (let n = 1; n <= MAX; n++) {
      for (let m = 0; m < n; m++) expect(inclusionProof(nodes, m, n)).toEqual(inclusionProof(leaves, m, n));
      for (let m = 1; m <= n; m++) expect(consistencyProof(nodes, m, n)).toEqual(consistencyProof(leaves, m, n));
      expect(Buffer.from(rangeRoot(nodes, 0, n)).equals(roots[n]!)).toBe(true);
    }
    expect(() => nodes.node(6, 1)).toThrow(expect.objectContaining({ code: 'ERR_ARGUMENT' }));
    expect(() => rangeRoot(nodes, 3, 7)).toThrow(expect.objectContaining({ code: 'ERR_ARGUMENT' }));
  });

  it('serves proofs in a tree of 2^17 + 3 leaves that verify against the incremental root', () => {
    const nodes = new TreeNodes();
    const range = new CompactRange();
    for (let i = 0; i < 2 ** 17 + 3; i++) {
      const leaf = leafHash(`record ${i}`);
      nodes.append(leaf);
      range.append(leaf);
    }
    const n = nodes.size;
    for (const m of [0, 1, 65_535, 65_536, 131_071, n - 1]) {
      expect(verifyInclusionProof(m, n, leafHash(`record ${m}`), inclusionProof(nodes, m, n), range.root())).toBe(true);
    }
    const old = new CompactRange();
    for (let i = 0; i < 100_000; i++) old.append(leafHash(`record ${i}`));
    expect(verifyConsistencyProof(100_000, n, old.root(), range.root(), consistencyProof(nodes, 100_000, n))).toBe(true);
  });
});
