/**
 * Manual approval (docs/policies.md): approvers list pending requests and
 * approve or deny them. N approvals are N distinct people (the approvals table's primary key
 * is request + user); one deny ends the request; an expired request takes no more votes.
 * The request row is locked while a vote counts, so two brokers cannot both miscount.
 */
import type { FastifyInstance } from 'fastify';
import type { BrokerContext } from '../context.js';
import { requireRole } from '../auth/authenticate.js';
import { appendAudit } from '../audit/log.js';
import { errorSchema, fail } from '../http/errors.js';
import { digits, idParams, iso, num, object } from '../http/schemas.js';

const requestAnswer = object({
  requestId: { type: 'string' },
  status: { type: 'string' },
  deviceId: { type: 'string' },
  keyId: { type: 'string' },
  version: { type: 'integer' },
  resource: { type: 'string' },
  policy: { type: ['string', 'null'] },
  approversNeeded: { type: 'integer' },
  approvals: { type: 'integer' },
  claims: { type: 'object', additionalProperties: true },
  trace: { type: 'array', items: { type: 'object', additionalProperties: true } },
  createdAt: { type: 'string' },
  expiresAt: { type: ['string', 'null'] },
  decidedAt: { type: ['string', 'null'] },
  // Who voted, how, with their comment: the request's history.
  votes: {
    type: 'array',
    items: object({ userId: { type: 'string' }, name: { type: 'string' }, decision: { type: 'string' }, comment: { type: 'string' }, at: { type: 'string' } }),
  },
});

/** The votes of each request, oldest first, as one JSON column. */
const VOTES = `(SELECT coalesce(json_agg(json_build_object('userId', a.user_id, 'name', u.name, 'decision', a.decision, 'comment', a.comment, 'at', a.created_at)
                 ORDER BY a.created_at, a.user_id), '[]'::json)
            FROM approvals a JOIN users u ON u.id = a.user_id WHERE a.request_id = r.id) AS votes`;

interface Vote {
  userId: string;
  name: string;
  decision: string;
  comment: string | null;
  at: string;
}

/** An optional note from the approver, kept in the audit record. */
const voteBody = { anyOf: [object({ comment: { type: 'string', maxLength: 1000 } }), { type: 'null' }] };

function toAnswer(r: Record<string, unknown>) {
  return {
    requestId: r.id,
    status: r.status,
    deviceId: r.device_id,
    keyId: r.key_id,
    version: Number(r.version),
    resource: r.resource,
    policy: r.policy ?? null,
    approversNeeded: Number(r.approvers_needed),
    approvals: Number(r.approvals ?? 0),
    claims: r.claims,
    trace: typeof r.trace === 'string' ? JSON.parse(r.trace) : (r.trace ?? []),
    createdAt: iso(r.created_at),
    expiresAt: r.expires_at ? iso(r.expires_at) : null,
    decidedAt: r.decided_at ? iso(r.decided_at) : null,
    votes: ((r.votes as Vote[] | undefined) ?? []).map((v) => ({ userId: v.userId, name: v.name, decision: v.decision, ...(v.comment ? { comment: v.comment } : {}), at: iso(v.at) })),
  };
}

export function requestRoutes(app: FastifyInstance, ctx: BrokerContext): void {
  app.get(
    '/v1/requests',
    {
      schema: {
        // decided: every request that is no longer pending (an approver's history).
        querystring: object({ status: { enum: ['pending', 'approved', 'released', 'denied', 'expired', 'decided'] }, limit: digits }),
        response: { 200: object({ requests: { type: 'array', items: requestAnswer } }), '4xx': errorSchema },
      },
    },
    async (req) => {
      const who = await requireRole(ctx.db, req, 'approver', 'admin');
      const { status, limit } = req.query as { status?: string; limit?: string };
      const rows = await ctx.db.query<Record<string, unknown>>(
        `SELECT r.*, (SELECT count(*) FROM approvals a WHERE a.request_id = r.id AND a.decision = 'approve') AS approvals, ${VOTES}
           FROM release_requests r WHERE r.tenant_id = $1
            AND ($2::text IS NULL OR r.status = $2 OR ($2 = 'decided' AND r.status <> 'pending'))
          ORDER BY r.created_at DESC, r.id LIMIT $3`,
        [who.tenantId, status ?? null, Math.min(Math.max(num(limit) ?? 100, 1), 500)],
      );
      return { requests: rows.map(toAnswer) };
    },
  );

  app.get('/v1/requests/:id', { schema: { params: idParams, response: { 200: requestAnswer, '4xx': errorSchema } } }, async (req) => {
    const who = await requireRole(ctx.db, req, 'approver', 'admin');
    const { id } = req.params as { id: string };
    const rows = await ctx.db.query<Record<string, unknown>>(
      `SELECT r.*, (SELECT count(*) FROM approvals a WHERE a.request_id = r.id AND a.decision = 'approve') AS approvals, ${VOTES}
         FROM release_requests r WHERE r.tenant_id = $1 AND r.id = $2`,
      [who.tenantId, id],
    );
    if (!rows[0]) fail('ERR_NOT_FOUND', 'no such request');
    return toAnswer(rows[0]);
  });

  for (const verdict of ['approve', 'deny'] as const) {
    app.post(`/v1/requests/:id/${verdict}`, { schema: { params: idParams, body: voteBody, response: { 200: requestAnswer, '4xx': errorSchema } } }, async (req) => {
      const who = await requireRole(ctx.db, req, 'approver');
      const { id } = req.params as { id: string };
      const comment = (req.body as { comment?: string } | null | undefined)?.comment;
      const now = ctx.now();
      const result = await ctx.db.tx(async (q) => {
        const rows = await q.query<Record<string, unknown>>('SELECT * FROM release_requests WHERE tenant_id = $1 AND id = $2 FOR UPDATE', [who.tenantId, id]);
        const r = rows[0];
        if (!r) fail('ERR_NOT_FOUND', 'no such request');
        if (r.status !== 'pending') fail('ERR_CONFLICT', `this request is ${r.status as string}, not pending`);
        if (r.expires_at && new Date(r.expires_at as string) <= now) {
          await q.query("UPDATE release_requests SET status = 'expired', decided_at = now() WHERE id = $1", [id]);
          await appendAudit(q, who.tenantId, { actor: 'broker', action: 'request.expire', target: `${r.key_id as string}/${r.version as number}`, outcome: 'failure', requestId: id });
          return { expired: true as const };
        }
        const voted = await q.query('INSERT INTO approvals (tenant_id, request_id, user_id, decision, comment) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING RETURNING user_id', [who.tenantId, id, who.userId, verdict, comment ?? null]);
        if (!voted.length) fail('ERR_CONFLICT', 'you already decided on this request');
        const count = await q.query<{ n: number }>("SELECT count(*)::integer AS n FROM approvals WHERE request_id = $1 AND decision = 'approve'", [id]);
        const approvals = Number(count[0]!.n);
        let status = 'pending';
        if (verdict === 'deny') {
          status = 'denied';
          const trace = [{ policy: r.policy, rule: 'approval', claim: 'approval', expected: 'approve', actual: `denied by ${who.userId}` }];
          await q.query("UPDATE release_requests SET status = 'denied', trace = $2, decided_at = now() WHERE id = $1", [id, JSON.stringify(trace)]);
        } else if (approvals >= Number(r.approvers_needed)) {
          status = 'approved';
          await q.query("UPDATE release_requests SET status = 'approved', decided_at = now() WHERE id = $1", [id]);
        }
        await appendAudit(q, who.tenantId, {
          actor: who.userId,
          action: `request.${verdict}`,
          target: `${r.key_id as string}/${r.version as number}`,
          outcome: 'success',
          reasons: { approvals, needed: Number(r.approvers_needed), status, ...(comment ? { comment } : {}) },
          requestId: id,
          sourceIp: req.ip,
        });
        const votes = await q.query<{ votes: Vote[] }>(`SELECT ${VOTES} FROM release_requests r WHERE r.id = $1`, [id]);
        return toAnswer({ ...r, status, approvals, decided_at: status === 'pending' ? null : now, votes: votes[0]!.votes });
      });
      if ('expired' in result) fail('ERR_EXPIRED', 'this request expired');
      return result;
    });
  }
}
