/**
 * The XKS API under each keystore's URI path (xks_proxy_api_spec.md "API operations"): POST only,
 * GET answered 405 as the spec requires. The bodies are checked by proxy.ts (the spec's errors),
 * not by a Fastify schema (the broker's error shape).
 */
import type { Endpoint } from '../http/endpoint.js';
import type { XksOperation } from './requests.js';
import { serveXks, type XksCaller } from './proxy.js';

function call(op: XksOperation): Endpoint<XksCaller> {
  return {
    schema: {},
    config: { xksOperation: op },
    async handle(ctx, req, _reply, caller) {
      return serveXks(ctx, req, caller);
    },
  };
}

export const getKeyMetadata = call('GetKeyMetadata');
export const encrypt = call('Encrypt');
export const decrypt = call('Decrypt');
export const getHealthStatus = call('GetHealthStatus');

/** "API operations": a GET at one of these URIs MUST be rejected with 405 Method Not Allowed. */
export function methodNotAllowed(op: XksOperation): Endpoint<undefined> {
  return {
    schema: {},
    config: { xksOperation: op },
    async handle(_ctx, _req, reply) {
      return reply
        .status(405)
        .header('allow', 'POST')
        .send({ errorName: 'ValidationException', errorMessage: 'the XKS API is called with POST' });
    },
  };
}
