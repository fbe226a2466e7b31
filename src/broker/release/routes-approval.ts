/**
 * Manual approval (docs/policies.md): approvers list pending requests and
 * approve or deny them. N approvals are N distinct people (the approvals table's primary key
 * is request + user); one deny ends the request; an expired request takes no more votes.
 * The request row is locked while a vote counts, so two brokers cannot both miscount.
 */
import type { Endpoint } from '../http/endpoint.js';
import type { Principal } from '../auth/principal.js';
import { appendAudit } from '../audit/log.js';
import { errorSchema, fail } from '../http/errors.js';
import { digits, idParams, iso, num, object } from '../http/schemas.js';
import * as requests from './repository.js';
import type { Vote } from './repository.js';
import { releaseRequestAnswer } from '../../protocol/answers.js';
import { checkVoter } from './assurance.js';

const requestAnswer = releaseRequestAnswer;

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
    votes: ((r.votes as Vote[] | undefined) ?? []).map((v) => ({
      userId: v.userId,
      name: v.name,
      decision: v.decision,
      ...(v.comment ? { comment: v.comment } : {}),
      at: iso(v.at),
    })),
  };
}

export const listRequests: Endpoint<Principal> = {
  schema: {
    // decided: every request that is no longer pending (an approver's history).
    querystring: object({ status: { enum: ['pending', 'approved', 'released', 'denied', 'expired', 'decided'] }, limit: digits }),
    response: { 200: object({ requests: { type: 'array', items: requestAnswer } }), '4xx': errorSchema },
  },
  async handle(ctx, req, _reply, who) {
    const { status, limit } = req.query as { status?: string; limit?: string };
    const rows = await requests.listRequests(ctx.db, who.tenantId, status ?? null, Math.min(Math.max(num(limit) ?? 100, 1), 500));
    return { requests: rows.map((r) => toAnswer(r as unknown as Record<string, unknown>)) };
  },
};

export const getRequest: Endpoint<Principal> = {
  schema: { params: idParams, response: { 200: requestAnswer, '4xx': errorSchema } },
  async handle(ctx, req, _reply, who) {
    const r = await requests.getRequest(ctx.db, who.tenantId, (req.params as { id: string }).id);
    if (!r) fail('ERR_NOT_FOUND', 'no such request');
    return toAnswer(r as unknown as Record<string, unknown>);
  },
};

/** One approver's vote: N approvals are N people; one deny ends the request; an expired one takes no more votes. */
function vote(verdict: 'approve' | 'deny'): Endpoint<Principal> {
  return {
    schema: { params: idParams, body: voteBody, response: { 200: requestAnswer, '4xx': errorSchema } },
    async handle(ctx, req, _reply, who) {
      const { id } = req.params as { id: string };
      const comment = (req.body as { comment?: string } | null | undefined)?.comment;
      const now = ctx.now();
      const result = await ctx.db.tx(async (q) => {
        const r = await requests.lockRequest(q, who.tenantId, id);
        if (!r) fail('ERR_NOT_FOUND', 'no such request');
        if (r.status !== 'pending') fail('ERR_CONFLICT', `this request is ${r.status}, not pending`);
        if (r.expires_at && new Date(r.expires_at) <= now) {
          await requests.expirePending(q, id);
          await appendAudit(q, who.tenantId, {
            actor: 'broker',
            action: 'request.expire',
            target: `${r.key_id}/${r.version}`,
            outcome: 'failure',
            requestId: id,
          });
          return { expired: true as const };
        }
        const assurance = await checkVoter(q, who, r.key_id, now);
        if (!(await requests.insertVote(q, who.tenantId, id, who.userId, verdict, comment ?? null)))
          fail('ERR_CONFLICT', 'you already decided on this request');
        const approvals = await requests.countApprovals(q, id);
        let status = 'pending';
        if (verdict === 'deny') {
          status = 'denied';
          const trace = [{ policy: r.policy, rule: 'approval', claim: 'approval', expected: 'approve', actual: `denied by ${who.userId}` }];
          await requests.deny(q, id, trace);
        } else if (approvals >= Number(r.approvers_needed)) {
          status = 'approved';
          await requests.approve(q, id);
        }
        await appendAudit(q, who.tenantId, {
          actor: who.userId,
          action: `request.${verdict}`,
          target: `${r.key_id}/${r.version}`,
          outcome: 'success',
          reasons: {
            approvals,
            needed: Number(r.approvers_needed),
            status,
            ...(comment ? { comment } : {}),
            // How the voter signed in: provider, subject, amr/acr and auth_time (absent: a local token).
            signIn: who.signIn ?? 'local',
            ...(assurance ? { assurance } : {}),
          },
          requestId: id,
          sourceIp: req.ip,
        });
        const votes: Vote[] = await requests.votesOf(q, id);
        return toAnswer({ ...r, status, approvals, decided_at: status === 'pending' ? null : now, votes });
      });
      if ('expired' in result) fail('ERR_EXPIRED', 'this request expired');
      return result;
    },
  };
}

export const approveRequest = vote('approve');
export const denyRequest = vote('deny');
