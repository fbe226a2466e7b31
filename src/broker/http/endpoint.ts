/**
 * What a route is: method, path, who may call it (access.ts), and its endpoint (schema and
 * handler). The route table (routes.ts) lists them one line each; `mount` registers them.
 */
import type { FastifyContextConfig, FastifyInstance, FastifyReply, FastifyRequest, FastifySchema } from 'fastify';
import type { BrokerContext } from '../context.js';
import { callerCheck, type Access, type CallerOf } from './access.js';

export interface Endpoint<Caller = unknown> {
  schema: FastifySchema;
  config?: FastifyContextConfig;
  /** This route's largest body, when not the app's BODY_LIMIT (a release carrying TPM event logs). */
  bodyLimit?: number;
  /** Runs after the schema and the access check; `who` is the caller the check found. */
  handle(ctx: BrokerContext, req: FastifyRequest, reply: FastifyReply, who: Caller): Promise<unknown>;
}

/** Lower case in the table (so that the table reads apart from SQL); upper case on the wire. */
export type Method = 'get' | 'post' | 'put' | 'delete';

export interface Route {
  method: Method;
  path: string;
  access: Access;
  endpoint: Endpoint<never>;
}

/** One line of the route table; the endpoint's caller type follows from the access. */
export function route<A extends Access>(method: Method, path: string, access: A, endpoint: Endpoint<CallerOf<A>>): Route {
  return { method, path, access, endpoint: endpoint as Endpoint<never> };
}

/** The caller found by the access check, handed to the handler. */
const CALLERS = new WeakMap<FastifyRequest, unknown>();

/**
 * Registers the routes. The access check is the route's preHandler: after the body, query and
 * path passed their schemas (a malformed request is 400 before anyone is asked who sent it,
 * as it always was), before the handler.
 */
export function mount(app: FastifyInstance, ctx: BrokerContext, routes: readonly Route[]): void {
  for (const r of routes) {
    const check = callerCheck(r.access);
    const endpoint = r.endpoint as Endpoint<unknown>;
    app.route({
      method: r.method.toUpperCase(),
      url: r.path,
      schema: endpoint.schema,
      ...(endpoint.config ? { config: endpoint.config } : {}),
      ...(endpoint.bodyLimit ? { bodyLimit: endpoint.bodyLimit } : {}),
      ...(check
        ? {
            preHandler: async (req: FastifyRequest) => {
              CALLERS.set(req, await check(ctx, req));
            },
          }
        : {}),
      handler: (req, reply) => endpoint.handle(ctx, req, reply, CALLERS.get(req)),
    });
  }
}
