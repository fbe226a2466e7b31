/**
 * The audit log's pure core: no I/O, no broker. The broker appends records and signs
 * checkpoints with it; `sectorcrypt audit verify` checks exports with it.
 *
 * - record.ts / canonical-json.ts: records and their RFC 8785 bytes, seq from 0.
 * - hash.ts, compact-range.ts: RFC 9162 leaf/node hashes and the incremental root.
 * - proof-build.ts, tree-nodes.ts: building inclusion and consistency proofs (from a leaf
 *   array, or from stored subtree roots, TreeNodes / a NodeSource over the broker's table).
 * - proof-verify.ts, proof-json.ts: checking them, raw or as JSON against checkpoints.
 * - signed-note.ts, checkpoint.ts: C2SP signed notes and tlog checkpoints (Ed25519 in src/keys).
 * - export-format.ts, verify-export.ts: the JSON-lines export and its offline check.
 * - archive.ts: retention segments.
 */
export { canonicalJson } from './canonical-json.js';
export { checkRecord, recordJson, recordLeafHash, type AuditRecord, type AuditValue } from './record.js';
export { EMPTY_ROOT, HASH_SIZE, leafHash, nodeHash } from './hash.js';
export { CompactRange, frontierSizes, rootHash } from './compact-range.js';
export { consistencyProof, inclusionProof, type ProofSource } from './proof-build.js';
export { leafArraySource, rangeRoot, TreeNodes, type NodeSource } from './tree-nodes.js';
export { verifyConsistencyProof, verifyInclusionProof } from './proof-verify.js';
export {
  consistencyProofJson,
  inclusionProofJson,
  verifyConsistency,
  verifyInclusion,
  type ConsistencyProofJson,
  type InclusionProofJson,
} from './proof-json.js';
export {
  noteKeyId,
  openNote,
  parseVerifierKey,
  publicKeyOf,
  signNote,
  verifierKey,
  type NoteSigner,
  type NoteVerifier,
} from './signed-note.js';
export { checkpointText, openCheckpoint, parseCheckpointText, signCheckpoint, type Checkpoint } from './checkpoint.js';
export { encodeRecord, exportHeader, exportLine, type EncodedRecord } from './export-format.js';
export { verifyExport, type VerifiedExport, type VerifyExportOptions } from './verify-export.js';
export { splitExport, type SplitExport } from './archive.js';
