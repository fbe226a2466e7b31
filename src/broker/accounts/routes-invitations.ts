/**
 * Redeeming an invitation (service.ts): whoever holds the one-time code gets a token of their
 * own, and the code is spent. No credential is needed, so the per-IP rate limit applies. The
 * redemption is recorded with its address; a spent code tried again is recorded too, in the
 * user's tenant, so that a user whose invitation someone else used can be told so.
 */
import type { FastifyInstance } from 'fastify';
import type { BrokerContext } from '../context.js';
import { appendAudit } from '../audit/log.js';
import { tokenHash } from '../auth/secrets.js';
import { errorSchema, fail } from '../http/errors.js';
import { object, tokenLife } from '../http/schemas.js';
import { issueToken } from './service.js';

const code = { type: 'string', minLength: 8, maxLength: 128, pattern: '^sci_[A-Za-z0-9_-]+$' } as const;
const REFUSED = 'the invitation was refused: unknown, expired, revoked or already used';

export function invitationRoutes(app: FastifyInstance, ctx: BrokerContext): void {
  app.post(
    '/v1/invitations/redeem',
    {
      schema: {
        body: object({ code, expiresInSeconds: tokenLife }, ['code']),
        response: {
          201: object({ tenantId: { type: 'string' }, userId: { type: 'string' }, tokenId: { type: 'string' }, token: { type: 'string' }, expiresAt: { type: 'string' } }),
          '4xx': errorSchema,
        },
      },
    },
    async (req, reply) => {
      const body = req.body as { code: string; expiresInSeconds?: number };
      const result = await ctx.db.tx(async (q) => {
        const rows = await q.query<{ tenant_id: string; id: string; user_id: string; token_seconds: number; expires_at: string; redeemed_at: string | null; revoked_at: string | null; disabled_at: string | null }>(
          `SELECT i.tenant_id, i.id, i.user_id, i.token_seconds, i.expires_at, i.redeemed_at, i.revoked_at, u.disabled_at
             FROM invitations i JOIN users u ON u.id = i.user_id WHERE i.code_hash = $1 FOR UPDATE OF i`,
          [tokenHash(body.code)],
        );
        const inv = rows[0];
        if (!inv) return undefined;
        const live = !inv.redeemed_at && !inv.revoked_at && !inv.disabled_at && new Date(inv.expires_at) > ctx.now();
        if (!live) {
          await appendAudit(q, inv.tenant_id, { actor: 'broker', action: 'user.invitation.redeem', target: inv.user_id, outcome: 'denied', reasons: { invitationId: inv.id, why: inv.redeemed_at ? 'already used' : 'expired or revoked' }, sourceIp: req.ip });
          return null;
        }
        await q.query('UPDATE invitations SET redeemed_at = now(), redeemed_from = $2 WHERE id = $1', [inv.id, req.ip]);
        const tok = await issueToken(q, inv.tenant_id, inv.user_id, Math.min(body.expiresInSeconds ?? inv.token_seconds, inv.token_seconds));
        await appendAudit(q, inv.tenant_id, { actor: inv.user_id, action: 'user.invitation.redeem', target: inv.user_id, outcome: 'success', reasons: { invitationId: inv.id, tokenId: tok.tokenId }, sourceIp: req.ip });
        return { tenantId: inv.tenant_id, userId: inv.user_id, ...tok };
      });
      // The refusal is recorded (committed above) before it is answered.
      if (!result) fail('ERR_UNAUTHENTICATED', REFUSED);
      return reply.status(201).send(result);
    },
  );
}
