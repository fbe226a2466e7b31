/**
 * Redeeming an invitation (service.ts): whoever holds the one-time code gets a token of their
 * own, and the code is spent. No credential is needed, so the per-IP rate limit applies. The
 * redemption is recorded with its address; a spent code tried again is recorded too, in the
 * user's tenant, so that a user whose invitation someone else used can be told so.
 */
import type { Endpoint } from '../http/endpoint.js';
import { appendAudit } from '../audit/log.js';
import { tokenHash } from '../auth/secrets.js';
import { errorSchema, fail } from '../http/errors.js';
import { object, tokenLife } from '../http/schemas.js';
import { issueToken } from './service.js';
import * as accounts from './repository.js';

const code = { type: 'string', minLength: 8, maxLength: 128, pattern: '^sci_[A-Za-z0-9_-]+$' } as const;
const REFUSED = 'the invitation was refused: unknown, expired, revoked or already used';

export const redeemInvitation: Endpoint<undefined> = {
  schema: {
    body: object({ code, expiresInSeconds: tokenLife }, ['code']),
    response: {
      201: object({
        tenantId: { type: 'string' },
        userId: { type: 'string' },
        tokenId: { type: 'string' },
        token: { type: 'string' },
        expiresAt: { type: 'string' },
      }),
      '4xx': errorSchema,
    },
  },
  async handle(ctx, req, reply) {
    const body = req.body as { code: string; expiresInSeconds?: number };
    const result = await ctx.db.tx(async (q) => {
      const inv = await accounts.lockInvitation(q, tokenHash(body.code));
      if (!inv) return undefined;
      const live = !inv.redeemed_at && !inv.revoked_at && !inv.disabled_at && new Date(inv.expires_at) > ctx.now();
      if (!live) {
        await appendAudit(q, inv.tenant_id, {
          actor: 'broker',
          action: 'user.invitation.redeem',
          target: inv.user_id,
          outcome: 'denied',
          reasons: { invitationId: inv.id, why: inv.redeemed_at ? 'already used' : 'expired or revoked' },
          sourceIp: req.ip,
        });
        return null;
      }
      await accounts.redeemInvitation(q, inv.id, req.ip);
      const tok = await issueToken(q, inv.tenant_id, inv.user_id, Math.min(body.expiresInSeconds ?? inv.token_seconds, inv.token_seconds));
      await appendAudit(q, inv.tenant_id, {
        actor: inv.user_id,
        action: 'user.invitation.redeem',
        target: inv.user_id,
        outcome: 'success',
        reasons: { invitationId: inv.id, tokenId: tok.tokenId },
        sourceIp: req.ip,
      });
      return { tenantId: inv.tenant_id, userId: inv.user_id, ...tok };
    });
    // The refusal is recorded (committed above) before it is answered.
    if (!result) fail('ERR_UNAUTHENTICATED', REFUSED);
    return reply.status(201).send(result);
  },
};
