/**
 * The export file (GET /v1/audit, `sectorcrypt audit verify`): JSON lines, each the
 * canonical JSON (RFC 8785) of one object, in seq order.
 *
 *   {"leafHash":"<base64>","record":<the record's canonical JSON>}
 *
 * The record text inside the line is byte for byte what was hashed, so a verifier hashes
 * the slice without re-encoding it. leafHash is redundant with the record on purpose: the
 * checkpoint root authenticates the leaf hashes as a whole, and a record that no longer
 * matches its own leafHash is pinpointed as edited even when the root alone could not say
 * which record changed.
 *
 * An export that does not begin at seq 0 (an archive segment after the first, or the log
 * left after archiving) opens with one header line giving the subtree roots of the leaves
 * before it (see compact-range.ts), largest subtree first:
 *
 *   {"frontier":["<base64>",...],"start":<first seq>}
 */
import { SectorCryptError } from '../errors.js';
import { fromBase64, toBase64 } from './base64.js';
import { canonicalJson } from './canonical-json.js';
import { frontierSizes } from './compact-range.js';
import { HASH_SIZE, leafHash } from './hash.js';
import { checkRecord, recordJson, type AuditRecord } from './record.js';

const HEAD = '{"leafHash":"';
const MIDDLE = '","record":';
const HASH_B64 = 44;

export interface ExportLine {
  seq: number;
  /** The leafHash the line claims. */
  claimedHash: Uint8Array;
  /** SHA-256(0x00 || record text) as found in the line. */
  recordHash: Uint8Array;
}

export interface ExportHeader {
  start: number;
  frontier: Uint8Array[];
}

export interface EncodedRecord {
  /** Canonical JSON: the bytes the leaf hash covers (store them as they are). */
  json: string;
  leafHash: Uint8Array;
  /** The record's export line. */
  line: string;
}

/** Everything the broker stores and serves for one record, from one encoding. */
export function encodeRecord(record: AuditRecord): EncodedRecord {
  const json = recordJson(record);
  const hash = leafHash(json);
  return { json, leafHash: hash, line: `${HEAD}${toBase64(hash)}${MIDDLE}${json}}` };
}

/** The export line for one record. */
export function exportLine(record: AuditRecord): string {
  return encodeRecord(record).line;
}

/** The header line of an export that starts at `start` > 0. */
export function exportHeader(start: number, frontier: readonly Uint8Array[]): string {
  return canonicalJson({ frontier: frontier.map(toBase64), start });
}

function tampered(lineNo: number, why: string): never {
  throw new SectorCryptError('ERR_AUDIT_TAMPERED', `line ${lineNo}: ${why}`);
}

export function isHeaderLine(line: string): boolean {
  return line.startsWith('{"frontier":');
}

export function parseHeader(line: string, lineNo: number): ExportHeader {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    tampered(lineNo, 'the header is not JSON');
  }
  const { frontier, start } = value as { frontier?: unknown; start?: unknown };
  if (typeof start !== 'number' || !Number.isSafeInteger(start) || start < 0 || !Array.isArray(frontier)) {
    tampered(lineNo, 'a header holds "frontier" (base64 hashes) and "start" (the first seq)');
  }
  if (frontier.length !== frontierSizes(start).length)
    tampered(lineNo, `a frontier at seq ${start} holds ${frontierSizes(start).length} hashes`);
  const hashes = frontier.map((h) => {
    const bytes = typeof h === 'string' && h.length === HASH_B64 ? fromBase64(h, 'frontier hash') : undefined;
    if (bytes?.length !== HASH_SIZE) tampered(lineNo, 'a frontier hash is 32 bytes in base64');
    return bytes;
  });
  return { start, frontier: hashes };
}

/**
 * Reads one record line; anything that is not a well-formed line is tampering. Only `seq`
 * is read out of the record: the hash over its exact text is what the checkpoint vouches
 * for, so the record is not re-encoded here (that costs more than the hashing; see
 * whyMismatch for the diagnosis once a hash does not fit).
 */
export function parseExportLine(line: string, lineNo: number): ExportLine {
  const recordStart = HEAD.length + HASH_B64 + MIDDLE.length;
  if (!line.startsWith(HEAD) || line.slice(HEAD.length + HASH_B64, recordStart) !== MIDDLE || !line.endsWith('}')) {
    tampered(lineNo, 'not an export line {"leafHash":...,"record":...}');
  }
  let claimedHash: Uint8Array;
  try {
    claimedHash = fromBase64(line.slice(HEAD.length, HEAD.length + HASH_B64), 'leafHash');
  } catch {
    tampered(lineNo, 'leafHash is not base64');
  }
  const text = line.slice(recordStart, -1);
  let seq: unknown;
  try {
    seq = (JSON.parse(text) as { seq?: unknown }).seq;
  } catch {
    tampered(lineNo, 'the record is not JSON');
  }
  if (typeof seq !== 'number' || !Number.isSafeInteger(seq) || seq < 0) tampered(lineNo, 'the record has no integer seq >= 0');
  return { seq, claimedHash, recordHash: leafHash(text) };
}

/** Why a line's record does not match its leafHash: re-encoded, or changed. */
export function whyMismatch(line: string): string {
  const text = line.slice(HEAD.length + HASH_B64 + MIDDLE.length, -1);
  try {
    const record: unknown = JSON.parse(text);
    checkRecord(record);
    if (canonicalJson(record) !== text) return 'is not in canonical JSON form (re-encoded or edited)';
  } catch {
    return 'is not a valid audit record (edited)';
  }
  return 'was edited: it no longer matches its leaf hash';
}
