/**
 * Where proofs get their subtree hashes. In an RFC 9162 tree every subtree a proof needs
 * (2.1.3.1, 2.1.4.1) covers [start, end) with start a multiple of the power of two at or
 * above its size, so its root folds from at most log2(n) perfect, aligned subtrees: the
 * set bits of its size, largest first. A NodeSource that can hand out those perfect
 * subtrees cheaply (TreeNodes in memory, or the broker's node table) makes a proof cost
 * O(log^2 n) hashes at most; a plain leaf array costs O(n) per proof.
 */
import { SectorCryptError } from '../errors.js';
import { CompactRange } from './compact-range.js';
import { EMPTY_ROOT, nodeHash } from './hash.js';

export interface NodeSource {
  /** Leaves held. */
  readonly size: number;
  /** Root of the perfect subtree over leaves [index * 2^level, (index + 1) * 2^level). */
  node(level: number, index: number): Uint8Array;
}

/** MTH(D[start:end]) from perfect subtrees; start must be aligned as in a tree node. */
export function rangeRoot(source: NodeSource, start: number, end: number): Uint8Array {
  if (end === start) return EMPTY_ROOT;
  const parts: Uint8Array[] = [];
  let at = start;
  for (let width = 2 ** Math.floor(Math.log2(end - start)); width >= 1; width /= 2) {
    if (at + width > end) continue;
    if (at % width !== 0) throw new SectorCryptError('ERR_ARGUMENT', `[${start}, ${end}) is not a subtree of an RFC 9162 tree`);
    parts.push(source.node(Math.log2(width), at / width));
    at += width;
  }
  let hash = parts[parts.length - 1]!;
  for (let i = parts.length - 2; i >= 0; i--) hash = nodeHash(parts[i]!, hash);
  return hash;
}

/** A NodeSource over a plain array of leaf hashes: each node is hashed from its leaves in one pass. */
export function leafArraySource(leaves: readonly Uint8Array[]): NodeSource {
  return {
    size: leaves.length,
    node(level, index) {
      const width = 2 ** level;
      if ((index + 1) * width > leaves.length)
        throw new SectorCryptError('ERR_ARGUMENT', `no complete subtree at level ${level}, index ${index}`);
      const range = new CompactRange();
      for (let i = index * width; i < (index + 1) * width; i++) range.append(leaves[i]!);
      return range.root();
    },
  };
}

/**
 * Every perfect subtree's root, kept as leaves are appended (about two hashes stored per
 * leaf, one node hash computed per append on average). For a broker that holds its tree in
 * memory; one backed by a database stores the same (level, index) -> hash rows.
 */
export class TreeNodes implements NodeSource {
  readonly #levels: Uint8Array[][] = [[]];

  get size(): number {
    return this.#levels[0]!.length;
  }

  append(leaf: Uint8Array): void {
    let index = this.#levels[0]!.push(leaf) - 1;
    // Each completed pair makes a parent one level up.
    for (let level = 0; index % 2 === 1; level++, index = Math.floor(index / 2)) {
      const row = this.#levels[level]!;
      (this.#levels[level + 1] ??= []).push(nodeHash(row[index - 1]!, row[index]!));
    }
  }

  node(level: number, index: number): Uint8Array {
    const hash = this.#levels[level]?.[index];
    if (!hash) throw new SectorCryptError('ERR_ARGUMENT', `no complete subtree at level ${level}, index ${index}`);
    return hash;
  }
}
