/** sectorcrypt/broker: the key broker server (its own entry point: it loads Fastify and a database). */
export { Broker } from './broker.js';
export type { BrokerInitOptions, BrokerOpenOptions } from './broker.js';
export type { CheckpointSchedule } from './audit/checkpoint-signer.js';
export { openStore } from './store/open.js';
export { RATE_LIMIT_DEFAULTS } from './http/rate-limit.js';
export type { RateLimit, RateLimitOptions } from './http/rate-limit.js';
export type { Store, Sql } from './store/types.js';
