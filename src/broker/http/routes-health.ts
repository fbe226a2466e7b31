/**
 * Health (the audit log's endpoints are in audit/routes.ts). Without credentials it says only that
 * the broker and its store answer; with a tenant user's token or session it also says whether
 * the tenant enforces two-person rules (separation/service.ts), so nobody believes a rule holds that
 * does not.
 */
import type { Endpoint } from './endpoint.js';
import { authenticate } from '../auth/authenticate.js';
import { errorSchema } from './errors.js';
import { object } from './schemas.js';
import { separation } from '../separation/service.js';
import { readSessionCookie } from '../auth/console-session.js';
import { certificateStatus } from '../data-dir/cert-status.js';
import { ping } from '../store/ping.js';
import { certificateAnswer, separationAnswer } from '../../protocol/answers.js';

const separationSchema = separationAnswer;
const certificateSchema = certificateAnswer;

/**
 * Public, with more for a signed-in person: the credentials are optional here, which the
 * route table cannot say, so the handler authenticates only when they are given.
 */
export const health: Endpoint<undefined> = {
  schema: {
    response: {
      200: object({
        status: { type: 'string' },
        store: { type: 'string' },
        certificate: certificateSchema,
        tenantId: { type: 'string' },
        separation: separationSchema,
      }),
      '4xx': errorSchema,
    },
  },
  async handle(ctx, req) {
    await ping(ctx.db);
    // Public: anyone connecting sees the certificate; the CA's date is in ca.pem.
    const base = {
      status: 'ok',
      store: ctx.db.kind,
      ...(ctx.certificates ? { certificate: certificateStatus(ctx.certificates, ctx.now()) } : {}),
    };
    if (req.headers.authorization === undefined && readSessionCookie(req) === undefined) return base;
    const who = await authenticate(ctx.db, req);
    if (who.roles.includes('operator')) return base;
    return { ...base, tenantId: who.tenantId, separation: await separation(ctx.db, who.tenantId) };
  },
};
