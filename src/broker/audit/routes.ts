/**
 * The audit log for auditors (docs/audit.md, docs/broker.md "Errors"): export pages, the signed
 * checkpoint with the tenant's note verifier key, and RFC 9162 inclusion (2.1.3) and
 * consistency (2.1.4) proofs. The auditor role reads its tenant's log; the operator reads the
 * deployment's own (the system tenant).
 *
 * `lines` is the export format of src/audit (export-format.ts): lines of successive pages,
 * joined with '\n', are a file `sectorcrypt audit verify` checks. A page from the start of a
 * log whose oldest records were archived opens with the frontier header line.
 */
import type { Endpoint } from '../http/endpoint.js';
import type { Principal } from '../auth/principal.js';
import { consistencyProof, consistencyProofJson, exportHeader, inclusionProof, inclusionProofJson } from '../../audit/index.js';
import { auditSize, readAudit } from './log.js';
import { treeFrontier, withNodes } from './tree.js';
import { latestCheckpoint, logVerifierKey } from './checkpoints.js';
import { errorSchema, fail } from '../http/errors.js';
import { digits, num, object, toB64 } from '../http/schemas.js';
import { consistencyProofAnswer, inclusionProofAnswer } from '../../protocol/answers.js';

export const auditPage: Endpoint<Principal> = {
  schema: {
    querystring: object({ after: digits, since: digits, limit: digits }),
    response: {
      200: object({
        records: { type: 'array', items: { type: 'object', additionalProperties: true } },
        lines: { type: 'array', items: { type: 'string' } },
      }),
      '4xx': errorSchema,
    },
  },
  async handle(ctx, req, _reply, who) {
    const { after, since, limit } = req.query as { after?: string; since?: string; limit?: string };
    if (after !== undefined && since !== undefined)
      fail('ERR_ARGUMENT', 'give after (the next page) or since (a first page from that seq), not both');
    // since=S: the first page of an export from seq S on, so it opens with its header too.
    const from = since === undefined ? num(after) : num(since)! - 1;
    const rows = await readAudit(ctx.db, who.tenantId, from, Math.min(Math.max(num(limit) ?? 100, 1), 1000));
    const lines = rows.map((r) => `{"leafHash":"${toB64(r.leafHash)}","record":${r.json}}`);
    const first = rows[0]?.seq;
    if (after === undefined && first !== undefined && first > 0)
      lines.unshift(exportHeader(first, await treeFrontier(ctx.db, who.tenantId, first)));
    return { records: rows.map((r) => JSON.parse(r.json) as object), lines };
  },
};

export const auditCheckpoint: Endpoint<Principal> = {
  schema: {
    response: {
      200: object({ checkpoint: { type: 'string' }, verifierKey: { type: 'string' }, size: { type: 'integer' } }),
      '4xx': errorSchema,
    },
  },
  async handle(ctx, _req, _reply, who) {
    const { size, note } = await latestCheckpoint(ctx.db, ctx.rootKey, who.tenantId);
    return { checkpoint: note, verifierKey: await logVerifierKey(ctx.db, ctx.rootKey, who.tenantId), size };
  },
};

export const auditProof: Endpoint<Principal> = {
  schema: {
    querystring: object({ seq: digits, size: digits }, ['seq', 'size']),
    response: { 200: inclusionProofAnswer, '4xx': errorSchema },
  },
  async handle(ctx, req, _reply, who) {
    const q = req.query as { seq: string; size: string };
    const seq = Number(q.seq);
    const size = Number(q.size);
    if (size > (await auditSize(ctx.db, who.tenantId))) fail('ERR_NOT_FOUND', `the log has not reached size ${size}`);
    if (seq >= size) fail('ERR_ARGUMENT', `seq ${seq} is not in a tree of size ${size}`);
    const [path, leaf] = await withNodes(
      ctx.db,
      who.tenantId,
      size,
      (source) => [inclusionProof(source, seq, size), source.node(0, seq)] as const,
    );
    return { ...inclusionProofJson(seq, size, path), leafHash: toB64(leaf) };
  },
};

export const auditConsistency: Endpoint<Principal> = {
  schema: {
    querystring: object({ from: digits, to: digits }, ['from', 'to']),
    response: { 200: consistencyProofAnswer, '4xx': errorSchema },
  },
  async handle(ctx, req, _reply, who) {
    const q = req.query as { from: string; to: string };
    const from = Number(q.from);
    const to = Number(q.to);
    if (to > (await auditSize(ctx.db, who.tenantId))) fail('ERR_NOT_FOUND', `the log has not reached size ${to}`);
    if (from < 1 || from > to) fail('ERR_ARGUMENT', `no consistency proof from size ${from} to ${to}`);
    return consistencyProofJson(from, to, await withNodes(ctx.db, who.tenantId, to, (source) => consistencyProof(source, from, to)));
  },
};
