/**
 * The audit log, written inside the caller's transaction: if the record cannot be written the
 * transaction fails, and so does the action it records (fail closed, CONTRIBUTING.md "The layers").
 *
 * Each record is encoded once (src/audit encodeRecord: RFC 8785 JSON and its RFC 9162 leaf
 * hash); the JSON is stored byte for byte, the leaf hash goes into the tree (tree.ts)
 * in the same transaction.
 */
import { SectorCryptError } from '../../errors.js';
import { encodeRecord, type AuditRecord as HashedRecord, type AuditValue } from '../../audit/index.js';
import type { Sql } from '../store/types.js';
import { extendTree, frontierFromJson } from './tree.js';

const TAKE_SEQS = 'SELECT * FROM sc_audit_take($1, $2)';
const INSERT_RECORDS = 'SELECT sc_audit_insert($1, $2, $3, $4, $5, $6)';
const LOG_SIZE = 'SELECT audit_seq FROM tenants WHERE id = $1';

export interface AuditInput {
  /** A user id, a device id, 'operator' or 'broker'. */
  actor: string;
  /** e.g. agent.enroll, key.release, key.deny, request.pending, request.approve, policy.update. */
  action: string;
  target?: string | null;
  outcome: 'success' | 'failure' | 'pending' | 'denied';
  reasons?: unknown;
  requestId?: string | null;
  sourceIp?: string | null;
}

export interface AuditRow {
  seq: number;
  /** The record's canonical JSON, as hashed. */
  json: string;
  leafHash: Uint8Array;
}

/**
 * Appends one record to the tenant's log and returns its seq (= leaf index, from 0). Taking
 * the next seq locks the tenant row until commit, so appends from every broker process form
 * one gapless sequence and one tree.
 */
export async function appendAudit(q: Sql, tenantId: string, rec: AuditInput): Promise<number> {
  return (await appendAuditBatch(q, tenantId, [rec]))[0]!;
}

/** The record as hashed, at a given seq and time. Throws for a value canonical JSON cannot hold. */
function hashedRecord(seq: number, time: string, rec: AuditInput): HashedRecord {
  return {
    seq,
    time,
    actor: rec.actor,
    action: rec.action,
    target: rec.target ?? null,
    outcome: rec.outcome,
    reasons: rec.reasons === undefined ? null : (JSON.parse(JSON.stringify(rec.reasons)) as AuditValue),
    requestId: rec.requestId ?? null,
    sourceIp: rec.sourceIp ?? null,
  } as HashedRecord;
}

/** Throws now what appending `rec` would throw later (a value canonical JSON cannot hold). */
export function checkAuditInput(rec: AuditInput): void {
  encodeRecord(hashedRecord(0, new Date(0).toISOString(), rec));
}

/** bytea as JSON for jsonb_populate_recordset: PostgreSQL's hex input form. */
export function byteaJson(bytes: Uint8Array): string {
  return `\\x${Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex')}`;
}

/**
 * Appends records to the tenant's log in two statements (migration 4's functions), and
 * returns their seqs (consecutive, in the order given; the records share one time):
 * 1. sc_audit_take: the seqs, which lock the tenant row (appendAudit), and the tree's frontier;
 * 2. sc_audit_insert: the rows, the tree's new nodes, and `requests` if given (release_requests
 *    rows by column name, bytea as byteaJson) decided with these records.
 */
export async function appendAuditBatch(
  q: Sql,
  tenantId: string,
  recs: AuditInput[],
  requests?: Record<string, unknown>[],
): Promise<number[]> {
  if (recs.length === 0) return [];
  const rows = await q.query<{ first: number; at: string; frontier: { level: number; idx: number; hash: string }[] }>(TAKE_SEQS, [
    tenantId,
    recs.length,
  ]);
  if (rows.length !== 1) throw new SectorCryptError('ERR_NOT_FOUND', 'no such tenant for the audit record');
  const first = Number(rows[0]!.first);
  const time = new Date(rows[0]!.at).toISOString();
  const leaves: Uint8Array[] = [];
  const records = recs.map((rec, i) => {
    // Throws for a value canonical JSON cannot hold: the action then fails with it.
    const record = hashedRecord(first + i, time, rec);
    const encoded = encodeRecord(record);
    leaves.push(encoded.leafHash);
    return {
      tenant_id: tenantId,
      seq: record.seq,
      time,
      actor: rec.actor,
      action: rec.action,
      target: record.target,
      outcome: rec.outcome,
      ...(rec.reasons === undefined ? {} : { reasons: record.reasons }),
      request_id: record.requestId,
      source_ip: record.sourceIp,
      record_json: encoded.json,
      leaf_hash: byteaJson(encoded.leafHash),
    };
  });
  const nodes = extendTree(first, frontierFromJson(rows[0]!.frontier), leaves);
  await q.query(INSERT_RECORDS, [
    tenantId,
    JSON.stringify(records),
    nodes.levels,
    nodes.idxs,
    nodes.hashes,
    requests ? JSON.stringify(requests) : null,
  ]);
  q.auditAppended?.(tenantId, first + recs.length);
  return recs.map((_, i) => first + i);
}

/** Records with seq > after (all from the first held when after is undefined), in seq order. */
export async function readAudit(q: Sql, tenantId: string, after: number | undefined, limit: number): Promise<AuditRow[]> {
  const rows = await q.query<{ seq: number; record_json: string | null; leaf_hash: Uint8Array | null }>(
    `SELECT seq, record_json, leaf_hash FROM audit_log WHERE tenant_id = $1 AND seq > $2 ORDER BY seq LIMIT $3`,
    [tenantId, after ?? -1, limit],
  );
  return rows.map((r) => {
    // A record from before the Merkle log (migration 3) has no hashed form: refuse, do not guess.
    if (r.record_json === null || r.leaf_hash === null)
      throw new SectorCryptError('ERR_AUDIT_TAMPERED', `audit record ${r.seq} has no hashed form`);
    return { seq: Number(r.seq), json: r.record_json, leafHash: new Uint8Array(r.leaf_hash) };
  });
}

/** Records appended so far (the tree size), read under no lock. */
export async function auditSize(q: Sql, tenantId: string): Promise<number> {
  const rows = await q.query<{ audit_seq: number }>(LOG_SIZE, [tenantId]);
  if (!rows.length) throw new SectorCryptError('ERR_NOT_FOUND', 'no such tenant');
  return Number(rows[0]!.audit_seq);
}

const SEGMENT_ROWS = 'SELECT seq, record_json, leaf_hash FROM audit_log WHERE tenant_id = $1 AND time < $2 ORDER BY seq LIMIT $3';
const LOCK_LOG = 'SELECT 1 FROM tenants WHERE id = $1 FOR UPDATE';
const ARCHIVE_STATS = 'SELECT count(*)::integer AS n, max(time) AS newest FROM audit_log WHERE tenant_id = $1 AND seq < $2';
const DELETE_BODIES = 'DELETE FROM audit_log WHERE tenant_id = $1 AND seq < $2';

/** The held records older than `before`, oldest first, at most `limit` (an archive segment). */
export async function segmentRows(
  q: Sql,
  tenantId: string,
  before: string,
  limit: number,
): Promise<{ seq: number; record_json: string; leaf_hash: Uint8Array }[]> {
  return q.query(SEGMENT_ROWS, [tenantId, before, limit]);
}

/** Holds the tenant's log (its row, as every append does) until the transaction ends. */
export async function lockLog(q: Sql, tenantId: string): Promise<void> {
  await q.query(LOCK_LOG, [tenantId]);
}

/** How many records before `through` the log still holds, and the newest one's time. */
export async function heldBefore(q: Sql, tenantId: string, through: number): Promise<{ n: number; newest: string | null }> {
  return (await q.query<{ n: number; newest: string | null }>(ARCHIVE_STATS, [tenantId, through]))[0]!;
}

/** Deletes the record bodies before `through`; the tree (audit_nodes) stays, so proofs still verify. */
export async function deleteBodiesBefore(q: Sql, tenantId: string, through: number): Promise<void> {
  await q.query(DELETE_BODIES, [tenantId, through]);
}

const TENANTS_WITH_UNHASHED = 'SELECT DISTINCT tenant_id FROM audit_log WHERE leaf_hash IS NULL';
const UNHASHED_RECORDS =
  'SELECT seq, time, actor, action, target, outcome, reasons, request_id, source_ip FROM audit_log WHERE tenant_id = $1 AND leaf_hash IS NULL ORDER BY seq';
const SET_HASHED_FORM = 'UPDATE audit_log SET record_json = $3, leaf_hash = $4 WHERE tenant_id = $1 AND seq = $2';

/** Tenants with records from before the Merkle log (backfill.ts). */
export async function tenantsWithUnhashed(q: Sql): Promise<string[]> {
  return (await q.query<{ tenant_id: string }>(TENANTS_WITH_UNHASHED)).map((r) => r.tenant_id);
}

export async function unhashedRecords(q: Sql, tenantId: string): Promise<Record<string, unknown>[]> {
  return q.query<Record<string, unknown>>(UNHASHED_RECORDS, [tenantId]);
}

export async function setHashedForm(q: Sql, tenantId: string, seq: number, json: string, leafHash: Uint8Array): Promise<void> {
  await q.query(SET_HASHED_FORM, [tenantId, seq, json, leafHash]);
}
