/**
 * Every error answer is `{error: {code, message}}` (docs/broker.md "Errors") with a status that
 * fits; bad input is always a 4xx, and no answer carries a stack trace or a cause.
 */
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { SectorCryptError } from '../../errors.js';
import { XksError, XksMtlsRefused } from '../xks/errors.js';
import { B64_PATTERN, DIGITS_PATTERN, GROUP_PATTERN, ID_PATTERN, NAME_PATTERN } from './schemas.js';

const STATUS: Record<string, number> = {
  ERR_ARGUMENT: 400,
  ERR_POLICY_INVALID: 400,
  ERR_CORRUPT_HEADER: 400,
  ERR_UNSUPPORTED: 400,
  ERR_AUTH: 400,
  ERR_UNAUTHENTICATED: 401,
  ERR_REPLAY: 401,
  ERR_FORBIDDEN: 403,
  ERR_STEP_UP: 403,
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

/** A URL under the XKS API's prefix: its refusals are in the spec's shape even where no route matched. */
function isXksUrl(url: string): boolean {
  return url.startsWith('/xks/');
}

/**
 * The XKS API's error answers (xks_proxy_api_spec.md "Error codes"): `{errorName, errorMessage}`
 * for every refusal on its routes, whatever raised it (xks/errors.ts has the table).
 */
function xksErrorReply(err: FastifyError | Error, req: FastifyRequest, reply: FastifyReply): void {
  let e: XksError;
  if (err instanceof XksError) {
    e = err;
  } else if (err instanceof SectorCryptError && err.code === 'ERR_RATE_LIMITED') {
    const retryAfter = (err as { retryAfterSeconds?: unknown }).retryAfterSeconds;
    if (typeof retryAfter === 'number') void reply.header('retry-after', String(retryAfter));
    e = new XksError('ThrottlingException', plain(err));
  } else if (err instanceof SectorCryptError && err.code !== 'ERR_ROOT_KEY_MISMATCH') {
    e = new XksError('ValidationException', plain(err));
  } else if (
    (err as FastifyError).validation ||
    (typeof (err as FastifyError).statusCode === 'number' && (err as FastifyError).statusCode! < 500)
  ) {
    e = new XksError('ValidationException', err.message);
  } else {
    req.log.error({ err }, 'internal error in an XKS call');
    e = new XksError('InternalException', 'internal error');
  }
  void reply.status(e.status).send(e.body);
}

export function errorHandler(err: FastifyError | Error, _req: FastifyRequest, reply: FastifyReply): void {
  if (err instanceof XksMtlsRefused) {
    // The spec's "terminate": no answer at all, the connection is closed (xks/mtls.ts).
    reply.hijack();
    reply.raw.destroy();
    return;
  }
  if (err instanceof XksError || _req.routeOptions?.config?.xksOperation !== undefined) return xksErrorReply(err, _req, reply);
  if (err instanceof SectorCryptError) {
    const retryAfter = (err as { retryAfterSeconds?: unknown }).retryAfterSeconds;
    if (typeof retryAfter === 'number') void reply.header('retry-after', String(retryAfter));
    void reply.status(STATUS[err.code] ?? 400).send({ error: { code: err.code, message: plain(err) } });
    return;
  }
  const fe = err as FastifyError;
  if (fe.validation) {
    void reply.status(400).send({ error: { code: 'ERR_ARGUMENT', message: validationMessage(fe) } });
    return;
  }
  if (fe.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
    void reply.status(413).send({ error: { code: 'ERR_ARGUMENT', message: 'request body over 64 KiB' } });
    return;
  }
  if (fe.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
    void reply.status(415).send({ error: { code: 'ERR_ARGUMENT', message: 'a body is sent as application/json' } });
    return;
  }
  // The database's own guards (unique keys, checks) caught a race the handler's checks missed.
  const sqlState = (err as { code?: unknown }).code;
  if (typeof sqlState === 'string' && /^23[0-9A-Z]{3}$/.test(sqlState)) {
    void reply.status(409).send({ error: { code: 'ERR_CONFLICT', message: 'conflicts with a concurrent change; try again' } });
    return;
  }
  // Class 22 (data exception): a value the database cannot take, e.g. text with U+0000 or a
  // date out of its range. The input checks refuse these first; this keeps any they miss a 400.
  if (typeof sqlState === 'string' && /^22[0-9A-Z]{3}$/.test(sqlState)) {
    void reply.status(400).send({ error: { code: 'ERR_ARGUMENT', message: 'a value the broker cannot store' } });
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

/** What the schemas' patterns mean, for people (schemas.ts): never the regular expression itself. */
const PATTERNS: Record<string, string> = {
  [ID_PATTERN]: 'an id: its kind, an underscore and a UUID (e.g. key_5f0c8a7e-...)',
  [NAME_PATTERN]: 'a name of letters, digits and . _ @ -, starting with a letter or digit',
  [GROUP_PATTERN]: 'a group of letters, digits and . _ -, starting with a letter or digit',
  [B64_PATTERN]: 'standard base64',
  [DIGITS_PATTERN]: 'digits only',
};

/** "invalid params/id: must be an id: ..." from Fastify's schema error. */
function validationMessage(fe: FastifyError): string {
  const first = fe.validation?.[0] as { keyword?: string; instancePath?: string; params?: { pattern?: string } } | undefined;
  const where = `${fe.validationContext ?? 'request'}${first?.instancePath ?? ''}`;
  if (first?.keyword === 'pattern' && first.params?.pattern !== undefined) {
    return `invalid ${where}: must be ${PATTERNS[first.params.pattern] ?? 'in the documented format'}`;
  }
  return `invalid request ${fe.validationContext ?? ''}: ${fe.message}`.trim();
}

export function notFoundHandler(req: FastifyRequest, reply: FastifyReply): void {
  if (isXksUrl(req.url)) return xksErrorReply(new XksError('InvalidUriPathException', 'no XKS API at this URI path'), req, reply);
  void reply.status(404).send({ error: { code: 'ERR_NOT_FOUND', message: `no route ${req.method} ${req.url.split('?')[0]}` } });
}

/** A path parameter longer than this is answered 414 (Fastify's maxParamLength). */
export const MAX_PARAM_LENGTH = 100;

/**
 * The router's own refusals (Fastify's frameworkErrors option): a path whose percent-encoding
 * does not decode, a path parameter over MAX_PARAM_LENGTH characters. Our shape, not Fastify's.
 */
export function frameworkErrorHandler(err: FastifyError, req: FastifyRequest, reply: FastifyReply): void {
  if (isXksUrl(req.url)) {
    // The router's maxParamLength: an externalKeyId over 100 characters is none the broker made.
    const xe =
      err.code === 'FST_ERR_MAX_PARAM_LENGTH'
        ? new XksError('KeyNotFoundException', 'no such external key')
        : err.code === 'FST_ERR_BAD_URL'
          ? new XksError('InvalidUriPathException', 'the URL is malformed (bad percent-encoding)')
          : err;
    return xksErrorReply(xe, req, reply);
  }
  if (err.code === 'FST_ERR_BAD_URL') {
    void reply.status(400).send({ error: { code: 'ERR_ARGUMENT', message: 'the URL is malformed (bad percent-encoding)' } });
    return;
  }
  if (err.code === 'FST_ERR_MAX_PARAM_LENGTH') {
    void reply.status(414).send({ error: { code: 'ERR_ARGUMENT', message: `a path segment is over ${MAX_PARAM_LENGTH} characters` } });
    return;
  }
  errorHandler(err, req, reply);
}

/**
 * Requests Node's HTTP parser refuses before Fastify sees them (the server's clientError):
 * headers or URL over the 16 KiB limit (431), a malformed request line or header (400), a
 * request that did not arrive in time (408). Written on the socket, in our shape.
 */
export function clientErrorHandler(err: Error & { code?: string }, socket: Duplex): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  const [status, message] =
    err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
      ? [408, 'the request did not arrive in time']
      : err.code === 'HPE_HEADER_OVERFLOW'
        ? [431, 'the URL and headers are over 16 KiB']
        : [400, 'malformed HTTP request'];
  const body = JSON.stringify({ error: { code: 'ERR_ARGUMENT', message } });
  if (socket.writable) {
    socket.end(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  } else {
    socket.destroy(err);
  }
}
