/**
 * The HTTP application: Fastify over HTTPS, 64 KiB bodies, strict JSON schemas (unknown
 * fields and wrong types are refused, never stripped or coerced), one error shape, and no
 * request logging by default (tokens travel in headers; enrollment tokens in bodies).
 */
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import helmet from '@fastify/helmet';
import { SectorCryptError } from '../../errors.js';
import type { BrokerContext } from '../context.js';
import { MAX_PARAM_LENGTH, clientErrorHandler, errorHandler, frameworkErrorHandler, notFoundHandler } from './errors.js';
import { mount } from './endpoint.js';
import { BODY_LIMIT } from '../../protocol/constants.js';
import { ROUTES } from './routes.js';
import { chargeAddress, installRateLimits } from './rate-limit.js';
import { checkInput } from './input-text.js';
import { XKS_TLS_OPTIONS, markXksListener } from '../xks/mtls.js';
import type { Server as TlsServer } from 'node:tls';

declare module 'fastify' {
  interface FastifyContextConfig {
    /**
     * The handler checks the body's strings itself (input-text.ts), once the sender is known,
     * so that the refusal can be recorded: a signed agent call's body.
     */
    bodyTextCheckedByHandler?: boolean;
  }
}

export interface AppOptions {
  tls: { key: string; cert: string };
  /** Fastify logger options; the Authorization header is always redacted. Default: off. */
  logger?: boolean | Record<string, unknown>;
  /**
   * The XKS listener (`broker serve --xks-listen`, docs/xks.md "Mutual TLS"): the XKS API's
   * routes only, and every client asked for a certificate (checked per keystore: xks/mtls.ts).
   */
  xksListener?: boolean;
}

/** JSON.parse that refuses keys which could reach an object's prototype later. */
function parseJson(text: string): unknown {
  return JSON.parse(text, (key, value: unknown) => {
    if (key === '__proto__' || key === 'constructor' || key === 'prototype')
      throw new SectorCryptError('ERR_ARGUMENT', `the key ${key} is not allowed`);
    return value;
  });
}

export function buildApp(ctx: BrokerContext, opts: AppOptions): FastifyInstance {
  const logger =
    opts.logger === undefined || opts.logger === false
      ? false
      : { ...(typeof opts.logger === 'object' ? opts.logger : {}), redact: ['req.headers.authorization', 'req.headers.signature'] };
  const app = Fastify({
    // The XKS listener asks for a client certificate without requiring one or checking it
    // against any CA: keystores without mTLS are served there too, and each keystore's own CAs
    // are checked per call (xks/mtls.ts).
    https: opts.xksListener ? { key: opts.tls.key, cert: opts.tls.cert, ...XKS_TLS_OPTIONS } : { key: opts.tls.key, cert: opts.tls.cert },
    bodyLimit: BODY_LIMIT,
    logger,
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, useDefaults: false, allErrors: false } },
    return503OnClosing: true,
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
    // The router's refusals (bad percent-encoding, over-long parameters) and the HTTP
    // parser's: our error shape too; the router's are charged to the address like a 404.
    frameworkErrors: (err, req, reply) => {
      const limited = ctx.limits ? chargeAddress(ctx.limits, req) : undefined;
      frameworkErrorHandler(limited ?? err, req, reply);
    },
    clientErrorHandler,
  }) as unknown as FastifyInstance;

  // JSON only (any other media type is 415), and the raw bytes kept: RFC 9530
  // content-digest is over them, not over re-serialized JSON.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (req, body, done) => {
    const raw = body as Buffer;
    (req as unknown as { rawBody: Buffer }).rawBody = raw;
    if (raw.length === 0) return done(null, null);
    try {
      done(null, parseJson(raw.toString('utf8')));
    } catch (err) {
      done(err instanceof SectorCryptError ? err : new SectorCryptError('ERR_ARGUMENT', 'the body is not valid JSON'), undefined);
    }
  });

  // Security headers on every answer; the console's page runs no inline script or style.
  void app.register(helmet, {
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'none'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'"],
        connectSrc: ["'self'"],
        formAction: ["'self'"],
        baseUri: ["'none'"],
        frameAncestors: ["'none'"],
      },
    },
    frameguard: { action: 'deny' },
    referrerPolicy: { policy: 'no-referrer' },
  });
  // Before the routes, so that every route (and the not-found handler) gets the hooks.
  if (ctx.limits) installRateLimits(app, ctx.limits);
  // Every string that arrives, before the schema and the handler see it (input-text.ts).
  app.addHook('preValidation', (req: FastifyRequest, _reply: FastifyReply, done: (err?: Error) => void) => {
    try {
      checkInput(req.params, 'the URL path');
      checkInput(req.query, 'the query string');
      if (!req.routeOptions.config.bodyTextCheckedByHandler) checkInput(req.body, 'the body');
    } catch (err) {
      return done(err as Error);
    }
    done();
  });
  app.setErrorHandler(errorHandler);
  app.setNotFoundHandler(notFoundHandler);
  if (opts.xksListener) markXksListener(app.server as unknown as TlsServer);
  mount(app, ctx, opts.xksListener ? ROUTES.filter((r) => r.path.startsWith('/xks/')) : ROUTES);
  return app;
}
