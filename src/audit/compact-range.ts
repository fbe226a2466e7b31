/**
 * The roots of the perfect subtrees that make up the leaves appended so far (a "compact
 * range" from index 0): at most one per set bit of the size, largest first. Appending a
 * leaf and reading the RFC 9162 root are O(log n) and need no earlier leaves, which is how
 * an export of a million records is checked in one pass.
 *
 * A range can also start from a saved frontier (the subtree roots of leaves [0, start)),
 * which lets an archive segment or a pruned log be checked without the earlier records.
 */
import { SectorCryptError } from '../errors.js';
import { EMPTY_ROOT, HASH_SIZE, nodeHash } from './hash.js';

/** Sizes of the perfect subtrees that cover [0, size), largest first (the set bits of size). */
export function frontierSizes(size: number): number[] {
  const sizes: number[] = [];
  for (let bit = 2 ** Math.floor(Math.log2(Math.max(size, 1))); bit >= 1; bit /= 2) {
    if (Math.floor(size / bit) % 2 === 1) sizes.push(bit);
  }
  return sizes;
}

export class CompactRange {
  #size: number;
  /** Subtree roots, largest (leftmost) first; #sizes[i] leaves under #hashes[i]. */
  readonly #hashes: Uint8Array[];
  readonly #sizes: number[];

  /** An empty range, or one resuming at `size` from its frontier (see `frontier`). */
  constructor(size = 0, frontier: readonly Uint8Array[] = []) {
    if (!Number.isSafeInteger(size) || size < 0) {
      throw new SectorCryptError('ERR_ARGUMENT', `tree size must be a non-negative integer, got ${size}`);
    }
    const sizes = frontierSizes(size);
    if (frontier.length !== sizes.length || frontier.some((h) => h.length !== HASH_SIZE)) {
      throw new SectorCryptError('ERR_ARGUMENT', `a frontier at size ${size} holds ${sizes.length} hashes of ${HASH_SIZE} bytes`);
    }
    this.#size = size;
    this.#hashes = [...frontier];
    this.#sizes = sizes;
  }

  get size(): number {
    return this.#size;
  }

  /** The subtree roots covering [0, size), largest first; store it to resume later. */
  frontier(): Uint8Array[] {
    return [...this.#hashes];
  }

  append(leaf: Uint8Array): void {
    let hash = leaf;
    let size = 1;
    // Two neighbours of equal size are siblings: merge them into their parent.
    while (this.#sizes.length > 0 && this.#sizes[this.#sizes.length - 1] === size) {
      hash = nodeHash(this.#hashes.pop()!, hash);
      this.#sizes.pop();
      size *= 2;
    }
    this.#hashes.push(hash);
    this.#sizes.push(size);
    this.#size++;
  }

  /** MTH of the leaves so far (RFC 9162 2.1.1): fold the subtree roots right to left. */
  root(): Uint8Array {
    if (this.#hashes.length === 0) return EMPTY_ROOT;
    let hash = this.#hashes[this.#hashes.length - 1]!;
    for (let i = this.#hashes.length - 2; i >= 0; i--) hash = nodeHash(this.#hashes[i]!, hash);
    return hash;
  }
}

/** MTH(D[n]) of a list of leaf hashes (RFC 9162 2.1.1). */
export function rootHash(leafHashes: Iterable<Uint8Array>): Uint8Array {
  const range = new CompactRange();
  for (const leaf of leafHashes) range.append(leaf);
  return range.root();
}
