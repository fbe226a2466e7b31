/**
 * Proofs as the broker serves them and the CLI reads them:
 *
 *   inclusion:   {"leafIndex": i, "treeSize": n, "hashes": ["<base64>", ...]}
 *   consistency: {"fromSize": m, "toSize": n, "hashes": ["<base64>", ...]}
 *
 * The wrappers check them against signed checkpoints (already opened) and throw
 * ERR_AUDIT_TAMPERED when the proof does not hold, ERR_ARGUMENT when it is malformed or
 * belongs to another tree size.
 */
import { SectorCryptError } from '../errors.js';
import { fromBase64, toBase64 } from './base64.js';
import type { Checkpoint } from './checkpoint.js';
import { HASH_SIZE } from './hash.js';
import { verifyConsistencyProof, verifyInclusionProof } from './proof-verify.js';

export interface InclusionProofJson {
  leafIndex: number;
  treeSize: number;
  hashes: string[];
}

export interface ConsistencyProofJson {
  fromSize: number;
  toSize: number;
  hashes: string[];
}

export function inclusionProofJson(leafIndex: number, treeSize: number, hashes: readonly Uint8Array[]): InclusionProofJson {
  return { leafIndex, treeSize, hashes: hashes.map(toBase64) };
}

export function consistencyProofJson(fromSize: number, toSize: number, hashes: readonly Uint8Array[]): ConsistencyProofJson {
  return { fromSize, toSize, hashes: hashes.map(toBase64) };
}

function count(value: unknown, what: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new SectorCryptError('ERR_ARGUMENT', `proof ${what} must be an integer >= 0`);
  }
  return value;
}

function hashes(value: unknown): Uint8Array[] {
  // 64 levels cover any tree of safe-integer size; more is not a proof.
  if (!Array.isArray(value) || value.length > 64)
    throw new SectorCryptError('ERR_ARGUMENT', 'proof "hashes" is an array of at most 64 base64 hashes');
  return value.map((h) => {
    const bytes = typeof h === 'string' ? fromBase64(h, 'proof hash') : undefined;
    if (bytes?.length !== HASH_SIZE) throw new SectorCryptError('ERR_ARGUMENT', 'a proof hash is 32 bytes in base64');
    return bytes;
  });
}

/** Proves that `leaf` (a leaf hash) is at proof.leafIndex in the tree of `checkpoint`. */
export function verifyInclusion(proof: unknown, leaf: Uint8Array, checkpoint: Checkpoint): void {
  const p = (proof ?? {}) as Partial<InclusionProofJson>;
  const leafIndex = count(p.leafIndex, 'leafIndex');
  const treeSize = count(p.treeSize, 'treeSize');
  const path = hashes(p.hashes);
  if (treeSize !== checkpoint.size) {
    throw new SectorCryptError('ERR_ARGUMENT', `the proof is for tree size ${treeSize}, the checkpoint is at ${checkpoint.size}`);
  }
  if (!verifyInclusionProof(leafIndex, treeSize, leaf, path, checkpoint.rootHash)) {
    throw new SectorCryptError(
      'ERR_AUDIT_TAMPERED',
      `leaf ${leafIndex} is not in the tree of size ${treeSize} under this checkpoint's root`,
    );
  }
}

/** Proves that the tree of `older` is a prefix of the tree of `newer`. */
export function verifyConsistency(proof: unknown, older: Checkpoint, newer: Checkpoint): void {
  const p = (proof ?? {}) as Partial<ConsistencyProofJson>;
  const fromSize = count(p.fromSize, 'fromSize');
  const toSize = count(p.toSize, 'toSize');
  const path = hashes(p.hashes);
  if (fromSize !== older.size || toSize !== newer.size) {
    throw new SectorCryptError(
      'ERR_ARGUMENT',
      `the proof is from size ${fromSize} to ${toSize}, the checkpoints are at ${older.size} and ${newer.size}`,
    );
  }
  if (older.origin !== newer.origin) throw new SectorCryptError('ERR_ARGUMENT', 'the checkpoints are of different logs');
  if (!verifyConsistencyProof(fromSize, toSize, older.rootHash, newer.rootHash, path)) {
    throw new SectorCryptError(
      'ERR_AUDIT_TAMPERED',
      `the tree of size ${toSize} does not extend the tree of size ${fromSize}: the log was rewritten`,
    );
  }
}
