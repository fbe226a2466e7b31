/**
 * The release_requests and approvals tables: every statement on them is here, by name. The
 * decisions of the release path are inserted in batches with their audit records
 * (recorder.ts, through sc_audit_insert: audit/log.ts appendAuditBatch).
 */
import type { Sql } from '../store/types.js';
import type { Reason } from '../policy/index.js';

export type RequestStatus = 'pending' | 'approved' | 'released' | 'denied' | 'expired';

/** A release_requests row (store/migrations.ts): times are strings as read, Dates as the recorder writes them. */
export interface ReleaseRequestRow<Time = string> {
  tenant_id: string;
  id: string;
  device_id: string;
  key_id: string;
  version: number;
  kind: 'envelope' | 'luks2';
  resource: string;
  sealed_enc: Uint8Array;
  sealed_ciphertext: Uint8Array;
  reply_public_key: Uint8Array;
  claims: Record<string, unknown>;
  status: RequestStatus;
  policy: string | null;
  approvers_needed: number;
  trace: Reason[];
  created_at: Time;
  expires_at: Time | null;
  decided_at: Time | null;
}

/** A vote as the request's history shows it. */
export interface Vote {
  userId: string;
  name: string;
  decision: string;
  comment: string | null;
  at: string;
}

/** A request with its approval count and votes, as approvers see it. */
export type RequestWithVotes = ReleaseRequestRow & { approvals: number | string; votes: Vote[] };

/** The votes of each request, oldest first, as one JSON column. */
const VOTES = `(SELECT coalesce(json_agg(json_build_object('userId', a.user_id, 'name', u.name, 'decision', a.decision, 'comment', a.comment, 'at', a.created_at)
                 ORDER BY a.created_at, a.user_id), '[]'::json)
            FROM approvals a JOIN users u ON u.id = a.user_id WHERE a.request_id = r.id) AS votes`;
const LIST_REQUESTS = `SELECT r.*, (SELECT count(*) FROM approvals a WHERE a.request_id = r.id AND a.decision = 'approve') AS approvals, ${VOTES}
           FROM release_requests r WHERE r.tenant_id = $1
            AND ($2::text IS NULL OR r.status = $2 OR ($2 = 'decided' AND r.status <> 'pending'))
          ORDER BY r.created_at DESC, r.id LIMIT $3`;
const GET_REQUEST = `SELECT r.*, (SELECT count(*) FROM approvals a WHERE a.request_id = r.id AND a.decision = 'approve') AS approvals, ${VOTES}
         FROM release_requests r WHERE r.tenant_id = $1 AND r.id = $2`;
const VOTES_OF = `SELECT ${VOTES} FROM release_requests r WHERE r.id = $1`;
const LOCK_REQUEST = 'SELECT * FROM release_requests WHERE tenant_id = $1 AND id = $2 FOR UPDATE';
const DEVICE_REQUEST = 'SELECT * FROM release_requests WHERE tenant_id = $1 AND id = $2 AND device_id = $3';
const DEVICE_REQUEST_TARGET = 'SELECT key_id, version FROM release_requests WHERE tenant_id = $1 AND id = $2 AND device_id = $3';
const WITHDRAW =
  "UPDATE release_requests SET status = 'expired', decided_at = now() WHERE tenant_id = $1 AND id = $2 AND device_id = $3 AND status IN ('pending', 'approved') RETURNING id";
const EXPIRE_OPEN =
  "UPDATE release_requests SET status = 'expired', decided_at = now() WHERE id = $1 AND status IN ('pending', 'approved') RETURNING id";
const EXPIRE_PENDING = "UPDATE release_requests SET status = 'expired', decided_at = now() WHERE id = $1";
const DENY = "UPDATE release_requests SET status = 'denied', trace = $2, decided_at = now() WHERE id = $1";
const APPROVE = "UPDATE release_requests SET status = 'approved', decided_at = now() WHERE id = $1";
// Only from approved or released: a deny or expiry that committed meanwhile wins.
const MARK_RELEASED =
  "UPDATE release_requests SET status = 'released', decided_at = coalesce(decided_at, now()) WHERE id = $1 AND status IN ('approved', 'released') RETURNING id";
const INSERT_VOTE =
  'INSERT INTO approvals (tenant_id, request_id, user_id, decision, comment) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING RETURNING user_id';
const COUNT_APPROVALS = "SELECT count(*)::integer AS n FROM approvals WHERE request_id = $1 AND decision = 'approve'";

export async function listRequests(q: Sql, tenantId: string, status: string | null, limit: number): Promise<RequestWithVotes[]> {
  return q.query<RequestWithVotes>(LIST_REQUESTS, [tenantId, status, limit]);
}

export async function getRequest(q: Sql, tenantId: string, id: string): Promise<RequestWithVotes | undefined> {
  return (await q.query<RequestWithVotes>(GET_REQUEST, [tenantId, id]))[0];
}

export async function votesOf(q: Sql, id: string): Promise<Vote[]> {
  return (await q.query<{ votes: Vote[] }>(VOTES_OF, [id]))[0]!.votes;
}

/** The request, locked while a vote counts (two brokers cannot both miscount). */
export async function lockRequest(q: Sql, tenantId: string, id: string): Promise<ReleaseRequestRow | undefined> {
  return (await q.query<ReleaseRequestRow>(LOCK_REQUEST, [tenantId, id]))[0];
}

/** A request of this device (an agent sees only its own). */
export async function deviceRequest(q: Sql, tenantId: string, id: string, deviceId: string): Promise<ReleaseRequestRow | undefined> {
  return (await q.query<ReleaseRequestRow>(DEVICE_REQUEST, [tenantId, id, deviceId]))[0];
}

export async function deviceRequestTarget(
  q: Sql,
  tenantId: string,
  id: string,
  deviceId: string,
): Promise<{ key_id: string; version: number } | undefined> {
  return (await q.query<{ key_id: string; version: number }>(DEVICE_REQUEST_TARGET, [tenantId, id, deviceId]))[0];
}

/** The device closes its own pending or approved request, as expired; false when it was decided already. */
export async function withdraw(q: Sql, tenantId: string, id: string, deviceId: string): Promise<boolean> {
  return (await q.query(WITHDRAW, [tenantId, id, deviceId])).length > 0;
}

/** A pending or approved request past its time; false when something else decided it first. */
export async function expireOpen(q: Sql, id: string): Promise<boolean> {
  return (await q.query(EXPIRE_OPEN, [id])).length > 0;
}

/** A pending request (locked) past its time. */
export async function expirePending(q: Sql, id: string): Promise<void> {
  await q.query(EXPIRE_PENDING, [id]);
}

export async function deny(q: Sql, id: string, trace: unknown[]): Promise<void> {
  await q.query(DENY, [id, JSON.stringify(trace)]);
}

export async function approve(q: Sql, id: string): Promise<void> {
  await q.query(APPROVE, [id]);
}

/** Released (again); false when a deny or an expiry committed meanwhile. */
export async function markReleased(q: Sql, id: string): Promise<boolean> {
  return (await q.query(MARK_RELEASED, [id])).length > 0;
}

/** One person's vote; false when they voted on this request before. */
export async function insertVote(
  q: Sql,
  tenantId: string,
  id: string,
  userId: string,
  decision: 'approve' | 'deny',
  comment: string | null,
): Promise<boolean> {
  return (await q.query(INSERT_VOTE, [tenantId, id, userId, decision, comment])).length > 0;
}

export async function countApprovals(q: Sql, id: string): Promise<number> {
  return Number((await q.query<{ n: number }>(COUNT_APPROVALS, [id]))[0]!.n);
}
