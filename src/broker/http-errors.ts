/**
 * Every error answer is `{error: {code, message}}` (CUSTODY.md "HTTP API") with a status that
 * fits; bad input is always a 4xx, and no answer carries a stack trace or a cause.
 */
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { SectorCryptError } from '../errors.js';

const STATUS: Record<string, number> = {
  ERR_ARGUMENT: 400,
  ERR_POLICY_INVALID: 400,
  ERR_CORRUPT_HEADER: 400,
  ERR_UNSUPPORTED: 400,
  ERR_AUTH: 400,
  ERR_UNAUTHENTICATED: 401,
  ERR_REPLAY: 401,
  ERR_FORBIDDEN: 403,
  ERR_DENIED: 403,
  ERR_NOT_FOUND: 404,
  ERR_CONFLICT: 409,
  ERR_EXISTS: 409,
  ERR_EXPIRED: 410,
  ERR_RATE_LIMITED: 429,
  ERR_ROOT_KEY_MISMATCH: 503,
};

export const errorSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      additionalProperties: false,
      required: ['code', 'message'],
      properties: { code: { type: 'string' }, message: { type: 'string' } },
    },
  },
} as const;

export function fail(code: SectorCryptError['code'], message: string): never {
  throw new SectorCryptError(code, message);
}

/** The message without the " (ERR_...)" suffix SectorCryptError adds. */
function plain(err: SectorCryptError): string {
  return err.message.replace(/ \(ERR_[A-Z_]+\)$/, '');
}

export function errorHandler(err: FastifyError | Error, _req: FastifyRequest, reply: FastifyReply): void {
  if (err instanceof SectorCryptError) {
    const retryAfter = (err as { retryAfterSeconds?: unknown }).retryAfterSeconds;
    if (typeof retryAfter === 'number') void reply.header('retry-after', String(retryAfter));
    void reply.status(STATUS[err.code] ?? 400).send({ error: { code: err.code, message: plain(err) } });
    return;
  }
  const fe = err as FastifyError;
  if (fe.validation) {
    void reply.status(400).send({ error: { code: 'ERR_ARGUMENT', message: `invalid request ${fe.validationContext ?? ''}: ${fe.message}`.trim() } });
    return;
  }
  if (fe.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
    void reply.status(413).send({ error: { code: 'ERR_ARGUMENT', message: 'request body over 64 KiB' } });
    return;
  }
  // The database's own guards (unique keys, checks) caught a race the handler's checks missed.
  const sqlState = (err as { code?: unknown }).code;
  if (typeof sqlState === 'string' && /^23[0-9A-Z]{3}$/.test(sqlState)) {
    void reply.status(409).send({ error: { code: 'ERR_CONFLICT', message: 'conflicts with a concurrent change; try again' } });
    return;
  }
  if (sqlState === '40001' || sqlState === '40P01') {
    void reply.status(409).send({ error: { code: 'ERR_CONFLICT', message: 'lost a race with a concurrent change; try again' } });
    return;
  }
  if (typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
    // Fastify's own refusals: bad JSON, wrong media type, empty body, ...
    void reply.status(fe.statusCode).send({ error: { code: 'ERR_ARGUMENT', message: fe.message } });
    return;
  }
  // Anything else is our fault: say so without detail (the log gets the error, not the client).
  _req.log.error({ err }, 'internal error');
  void reply.status(500).send({ error: { code: 'ERR_INTERNAL', message: 'internal error' } });
}

export function notFoundHandler(req: FastifyRequest, reply: FastifyReply): void {
  void reply.status(404).send({ error: { code: 'ERR_NOT_FOUND', message: `no route ${req.method} ${req.url.split('?')[0]}` } });
}
