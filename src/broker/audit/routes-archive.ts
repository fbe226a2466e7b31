/**
 * Retention (docs/audit.md): records older than the retention move to archive
 * segments. Two calls, so that nothing is deleted before the auditor holds it:
 *
 *   GET  /v1/audit/segment[?before=ISO]  the held records older than `before` (default: the
 *        retention's cutoff, now minus the broker's audit retention days), as an export (a
 *        frontier header when they do not start at seq 0) with the checkpoint at the
 *        segment's end: it verifies on its own. A `before` inside the retention is refused
 *        here, before the auditor writes anything.
 *   POST /v1/audit/archive {through}   deletes the record bodies with seq < through, once
 *        every one of them is older than the retention. The tree (audit_nodes) stays, so
 *        inclusion and consistency proofs verify as before.
 */
import type { BrokerContext } from '../context.js';
import type { Endpoint } from '../http/endpoint.js';
import type { Principal } from '../auth/principal.js';
import { exportHeader } from '../../audit/index.js';
import { appendAudit, deleteBodiesBefore, heldBefore, lockLog, segmentRows } from './log.js';
import { treeFrontier } from './tree.js';
import { checkpointAt, logVerifierKey } from './checkpoints.js';
import { errorSchema, fail } from '../http/errors.js';
import { object, parseDate, toB64 } from '../http/schemas.js';
import { retentionCutoff as cutoffOf } from './retention.js';

/** Segments are served whole; a larger backlog is archived in several runs. */
const MAX_SEGMENT = 100_000;

function retentionCutoff(ctx: BrokerContext): Date {
  return cutoffOf(ctx.now(), ctx.auditRetentionDays);
}

export const auditSegment: Endpoint<Principal> = {
  schema: {
    querystring: object({ before: { type: 'string', minLength: 10, maxLength: 40 } }),
    response: {
      200: object({
        start: { type: 'integer' },
        end: { type: 'integer' },
        before: { type: 'string' },
        retentionDays: { type: 'integer' },
        lines: { type: 'array', items: { type: 'string' } },
        checkpoint: { type: ['string', 'null'] },
        verifierKey: { type: 'string' },
      }),
      '4xx': errorSchema,
    },
  },
  async handle(ctx, req, _reply, who) {
    const cutoff = retentionCutoff(ctx);
    const asked = (req.query as { before?: string }).before;
    const before = asked === undefined ? cutoff : parseDate(asked, 'before');
    if (before > cutoff)
      fail(
        'ERR_FORBIDDEN',
        `records younger than the retention (${ctx.auditRetentionDays} days, so after ${cutoff.toISOString()}) stay in the log`,
      );
    const window = { before: before.toISOString(), retentionDays: ctx.auditRetentionDays };
    const rows = await segmentRows(ctx.db, who.tenantId, before.toISOString(), MAX_SEGMENT);
    const verifierKey = await logVerifierKey(ctx.db, ctx.rootKey, who.tenantId);
    if (!rows.length) return { start: 0, end: 0, ...window, lines: [], checkpoint: null, verifierKey };
    const start = Number(rows[0]!.seq);
    // Times follow seqs (each append takes the tenant lock first), but stop at any gap anyway.
    let end = start;
    while (end - start < rows.length && Number(rows[end - start]!.seq) === end) end++;
    const lines = rows.slice(0, end - start).map((r) => `{"leafHash":"${toB64(new Uint8Array(r.leaf_hash))}","record":${r.record_json}}`);
    if (start > 0) lines.unshift(exportHeader(start, await treeFrontier(ctx.db, who.tenantId, start)));
    return { start, end, ...window, lines, checkpoint: await checkpointAt(ctx.db, ctx.rootKey, who.tenantId, end), verifierKey };
  },
};

export const auditArchive: Endpoint<Principal> = {
  schema: {
    body: object({ through: { type: 'integer', minimum: 1, maximum: Number.MAX_SAFE_INTEGER } }, ['through']),
    response: { 200: object({ archived: { type: 'integer' }, through: { type: 'integer' } }), '4xx': errorSchema },
  },
  async handle(ctx, req, _reply, who) {
    const { through } = req.body as { through: number };
    const oldest = retentionCutoff(ctx);
    return ctx.db.tx(async (q) => {
      await lockLog(q, who.tenantId);
      const { n, newest } = await heldBefore(q, who.tenantId, through);
      if (newest && new Date(newest) >= oldest)
        fail('ERR_FORBIDDEN', `records younger than the retention (${ctx.auditRetentionDays} days) stay in the log`);
      await deleteBodiesBefore(q, who.tenantId, through);
      await appendAudit(q, who.tenantId, {
        actor: who.userId,
        action: 'audit.archive',
        target: null,
        outcome: 'success',
        reasons: { through, archived: Number(n) },
        sourceIp: req.ip,
      });
      return { archived: Number(n), through };
    });
  },
};
