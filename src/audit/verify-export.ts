/**
 * Offline check of an export (export-format.ts) against a signed checkpoint, in one pass
 * with O(log n) memory. It stops at the FIRST bad record and names it:
 *
 * - removed:   a seq is missing and never turns up (a gap);
 * - moved:     a seq is missing here but turns up later (records out of order);
 * - inserted:  a seq that already appeared appears again;
 * - edited:    a record no longer matches its own leafHash (re-encoded or changed);
 * - short:     the export ends before the checkpoint's tree size.
 *
 * What the root alone cannot pinpoint: if an editor also rewrote the edited record's
 * leafHash, every line is self-consistent and only the root differs. One root cannot say
 * which of n leaves changed; the verifier then reports the range that no longer matches.
 * Earlier signed checkpoints of the same log (`options.checkpoints`, e.g. the ones an
 * auditor or witness kept) narrow that range to between two checkpoints; to name the exact
 * record, ask the broker for inclusion proofs of the records in that range.
 */
import { SectorCryptError } from '../errors.js';
import { openCheckpoint, type Checkpoint } from './checkpoint.js';
import { CompactRange } from './compact-range.js';
import { isHeaderLine, parseExportLine, parseHeader, whyMismatch } from './export-format.js';
import { sameHash } from './hash.js';
import { parseVerifierKey } from './signed-note.js';

export interface VerifyExportOptions {
  /** More signed checkpoints of the same log: a failing edit is then placed between two of them. */
  checkpoints?: readonly string[];
}

export interface VerifiedExport {
  /** Tree size the checkpoint covers; every record below it is proven. */
  size: number;
  rootHash: Uint8Array;
  /** First seq in the export (0 unless it opens with a header). */
  start: number;
  /** Records after the checkpoint: in order and self-consistent, but not covered by it. */
  beyond: number;
}

function tampered(message: string): never {
  throw new SectorCryptError('ERR_AUDIT_TAMPERED', message);
}

/** Lines from an array, an iterable or an async iterable (e.g. readline over a file). */
export async function verifyExport(
  lines: AsyncIterable<string> | Iterable<string>,
  checkpointNote: string,
  verifierKey: string,
  options: VerifyExportOptions = {},
): Promise<VerifiedExport> {
  const vkey = parseVerifierKey(verifierKey);
  const checkpoint = openCheckpoint(checkpointNote, vkey);
  const marks = earlierCheckpoints(options.checkpoints ?? [], checkpoint, vkey);

  let range = new CompactRange();
  let start = 0;
  let expected = 0;
  let lastGood = 0; // records below this size are proven by a checkpoint
  let lineNo = 0;
  let blank = 0;
  // Compares the running root with a checkpoint of the current size, if there is one.
  const checkMark = (): void => {
    const mark = marks.get(range.size);
    if (!mark) return;
    if (!sameHash(range.root(), mark.rootHash)) tampered(editedBetween(lastGood, range.size, start));
    lastGood = range.size;
  };
  checkMark();
  // The first missing seq, while we look on for it to tell "moved" from "removed".
  let missing: { seq: number; lineNo: number; found: number } | undefined;

  for await (const line of lines) {
    lineNo++;
    if (line === '') {
      blank = blank || lineNo;
      continue;
    }
    if (blank) tampered(`line ${blank}: blank line inside the export`);
    if (lineNo === 1 && isHeaderLine(line)) {
      const header = parseHeader(line, lineNo);
      range = new CompactRange(header.start, header.frontier);
      expected = lastGood = start = header.start;
      if (checkpoint.size < header.start) {
        throw new SectorCryptError(
          'ERR_ARGUMENT',
          `the checkpoint (size ${checkpoint.size}) ends before the export's first seq ${header.start}`,
        );
      }
      checkMark();
      continue;
    }
    const entry = parseExportLine(line, lineNo);
    if (missing) {
      if (entry.seq === missing.seq) {
        tampered(
          `line ${missing.lineNo}: seq ${missing.found} stands where seq ${missing.seq} belongs; seq ${missing.seq} follows at line ${lineNo}: records were moved`,
        );
      }
      continue;
    }
    if (entry.seq < expected) {
      tampered(`line ${lineNo}: record seq ${entry.seq} appears again after seq ${expected - 1}: a record was inserted`);
    }
    if (entry.seq > expected) {
      missing = { seq: expected, lineNo, found: entry.seq };
      continue;
    }
    if (!sameHash(entry.claimedHash, entry.recordHash)) {
      tampered(`line ${lineNo}: record seq ${entry.seq} ${whyMismatch(line)}`);
    }
    range.append(entry.recordHash);
    expected++;
    checkMark();
  }
  if (missing) {
    tampered(`line ${missing.lineNo}: record seq ${missing.seq} was removed (the next record is seq ${missing.found})`);
  }
  if (range.size < checkpoint.size) {
    tampered(
      `the export stops short of the checkpoint: it ends before seq ${range.size}, the checkpoint covers ${checkpoint.size} records`,
    );
  }
  return { size: checkpoint.size, rootHash: checkpoint.rootHash, start, beyond: range.size - checkpoint.size };
}

function editedBetween(from: number, to: number, start: number): string {
  const which = to - from === 1 ? `record seq ${from} was edited` : `a record in seq ${from}..${to - 1} was edited`;
  // Before the first checkpoint that matched, the frontier header is as suspect as the records.
  const frontier = from === start && start > 0 ? ' (or the frontier header was changed)' : '';
  return `${which}, its leaf hash rewritten to match${frontier}: the records no longer hash to the checkpoint root at size ${to}`;
}

/** Signed checkpoints of the same log up to the main one's size, by tree size; the main one included. */
function earlierCheckpoints(
  notes: readonly string[],
  main: Checkpoint,
  vkey: ReturnType<typeof parseVerifierKey>,
): Map<number, Checkpoint> {
  const marks = new Map<number, Checkpoint>();
  for (const note of notes) {
    const cp = openCheckpoint(note, vkey);
    if (cp.origin !== main.origin)
      throw new SectorCryptError('ERR_ARGUMENT', `checkpoint of origin ${cp.origin} is not of log ${main.origin}`);
    if (cp.size <= main.size) marks.set(cp.size, cp);
  }
  marks.set(main.size, main);
  return marks;
}
