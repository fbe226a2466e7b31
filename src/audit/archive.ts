/**
 * Retention: cut an export at a seq into an archive segment (the records before it) and the
 * rest. The tree is never cut: the broker keeps every leaf hash (32 bytes a record) and
 * drops only the archived record bodies, so inclusion and consistency proofs, which need
 * only leaf hashes, verify exactly as before.
 *
 * - The segment is an export of seq [start, at) (with a header when start > 0) plus a new
 *   checkpoint at tree size `at`, signed with the log key. It verifies on its own with
 *   verifyExport: its leaves and frontier rebuild that root.
 * - The rest is an export of seq [at, end) whose header carries the frontier at `at`, so it
 *   verifies against the log's current checkpoint without the archived records.
 */
import { SectorCryptError } from '../errors.js';
import { signCheckpoint } from './checkpoint.js';
import { CompactRange } from './compact-range.js';
import { exportHeader, isHeaderLine, parseExportLine, parseHeader } from './export-format.js';
import { sameHash } from './hash.js';
import type { NoteSigner } from './signed-note.js';

export interface SplitExport {
  /** Archive segment lines, the records before `at`. */
  segment: string[];
  /** Signed checkpoint at tree size `at`, covering the segment. */
  segmentCheckpoint: string;
  /** The export from `at` on, opening with its frontier header. */
  rest: string[];
}

/**
 * Splits `lines` (a complete export or segment, checked against its checkpoint first) at
 * seq `at`. `key.secretKey` is only read; the caller wipes it.
 */
export function splitExport(lines: readonly string[], at: number, origin: string, key: NoteSigner): SplitExport {
  const body = lines.filter((line) => line !== '');
  let range = new CompactRange();
  let first = 0;
  if (body.length > 0 && isHeaderLine(body[0]!)) {
    const header = parseHeader(body[0]!, 1);
    range = new CompactRange(header.start, header.frontier);
    first = 1;
  }
  const start = range.size;
  const end = start + body.length - first;
  if (!Number.isSafeInteger(at) || at <= start || at >= end) {
    throw new SectorCryptError('ERR_ARGUMENT', `split seq ${at} must lie inside the export's seq ${start + 1}..${end - 1}`);
  }
  for (let i = first; range.size < at; i++) {
    const entry = parseExportLine(body[i]!, i + 1);
    if (entry.seq !== range.size || !sameHash(entry.claimedHash, entry.recordHash)) {
      throw new SectorCryptError('ERR_AUDIT_TAMPERED', `line ${i + 1}: not record seq ${range.size} as logged; verify the export first`);
    }
    range.append(entry.recordHash);
  }
  const split = first + (at - start);
  return {
    segment: body.slice(0, split),
    segmentCheckpoint: signCheckpoint({ origin, size: at, rootHash: range.root() }, key),
    rest: [exportHeader(at, range.frontier()), ...body.slice(split)],
  };
}
