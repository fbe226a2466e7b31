/**
 * Rate limits (docs/broker.md "Errors" lists 429): token buckets in this process's memory, so
 * the release path pays a map lookup, never a database round trip. Three kinds of bucket:
 *
 * - `device`: each enrolled device, taken once its request signature verified (an attacker
 *   who knows a device id cannot spend that device's budget with unsigned requests);
 * - `token`: each API token (keyed by its SHA-256), taken before the token is looked up;
 * - `ip`: each source address, for requests without credentials (enrollment, health, unknown
 *   routes, URLs the router refuses) and for every failed authentication; a credentialed
 *   request from an address whose bucket is empty is refused before its credentials are
 *   checked, so guessing tokens or signatures is slow. A call with a signature header to a
 *   signed agent route (as the router matched it, never the raw URL) is charged to its
 *   address too, and given back once the signature verified: only then does the device pay.
 *
 * Several broker processes each keep their own buckets: the limit a client sees is per
 * process (behind a load balancer, up to N times the configured rate).
 */
import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { SectorCryptError } from '../../errors.js';
import { XksError } from '../xks/errors.js';

export interface RateLimit {
  /** Sustained requests per second. */
  perSecond: number;
  /** Requests allowed at once after a quiet spell (the bucket's size). */
  burst: number;
}

export interface RateLimitOptions {
  /** Per enrolled device, on signed agent calls. false: unlimited. */
  device?: RateLimit | false;
  /** Per API token, on management calls. false: unlimited. */
  token?: RateLimit | false;
  /** Per source IP, on calls without credentials, enrollments and failed authentications. false: unlimited. */
  ip?: RateLimit | false;
}

/**
 * Generous on purpose: a broker on two cores releases some hundreds of keys a second in all,
 * so a device is limited only when it alone asks far more often than any boot or restore does.
 */
export const RATE_LIMIT_DEFAULTS: Required<{ [K in keyof RateLimitOptions]: RateLimit }> = {
  device: { perSecond: 200, burst: 400 },
  token: { perSecond: 100, burst: 200 },
  ip: { perSecond: 20, burst: 200 },
};

/** An answer 429 with the seconds to wait (RFC 9110 section 10.2.3, Retry-After). */
export class RateLimitedError extends SectorCryptError {
  readonly retryAfterSeconds: number;
  constructor(what: string, retryAfterSeconds: number) {
    super('ERR_RATE_LIMITED', `too many requests from this ${what}; retry after ${retryAfterSeconds} s`);
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

interface Bucket {
  tokens: number;
  at: number;
}

/** Buckets beyond this many are swept of the full ones (idle clients) before a new one is made. */
const SWEEP_AT = 50_000;

/** Token buckets for one kind of key. */
export class Buckets {
  readonly #limit: RateLimit;
  readonly #now: () => number;
  readonly #buckets = new Map<string, Bucket>();

  constructor(limit: RateLimit, now: () => number = () => performance.now()) {
    if (!(limit.perSecond > 0) || !(limit.burst >= 1))
      throw new SectorCryptError('ERR_ARGUMENT', 'a rate limit needs perSecond > 0 and burst >= 1');
    this.#limit = limit;
    this.#now = now;
  }

  #refill(key: string): Bucket {
    const now = this.#now();
    let b = this.#buckets.get(key);
    if (!b) {
      if (this.#buckets.size >= SWEEP_AT) this.#sweep(now);
      b = { tokens: this.#limit.burst, at: now };
      this.#buckets.set(key, b);
    } else {
      b.tokens = Math.min(this.#limit.burst, b.tokens + ((now - b.at) / 1000) * this.#limit.perSecond);
      b.at = now;
    }
    return b;
  }

  /** Spends one request; 0 when allowed, else the whole seconds until one would be. */
  take(key: string): number {
    const b = this.#refill(key);
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return 0;
    }
    return this.#wait(b);
  }

  /** Gives back one request taken from `key` (never above the burst). */
  give(key: string): void {
    const b = this.#refill(key);
    b.tokens = Math.min(this.#limit.burst, b.tokens + 1);
  }

  /** The seconds until `key` may send again (0 when it may now), spending nothing. */
  peek(key: string): number {
    const b = this.#refill(key);
    return b.tokens >= 1 ? 0 : this.#wait(b);
  }

  #wait(b: Bucket): number {
    return Math.max(1, Math.ceil((1 - b.tokens) / this.#limit.perSecond));
  }

  #sweep(now: number): void {
    for (const [key, b] of this.#buckets) {
      if (b.tokens + ((now - b.at) / 1000) * this.#limit.perSecond >= this.#limit.burst) this.#buckets.delete(key);
    }
  }

  get size(): number {
    return this.#buckets.size;
  }
}

/** The three kinds of bucket of one broker process. */
export class RateLimiter {
  readonly device: Buckets | undefined;
  readonly token: Buckets | undefined;
  readonly ip: Buckets | undefined;

  constructor(opts: RateLimitOptions = {}, now?: () => number) {
    const make = (o: RateLimit | false | undefined, dflt: RateLimit) => (o === false ? undefined : new Buckets(o ?? dflt, now));
    this.device = make(opts.device, RATE_LIMIT_DEFAULTS.device);
    this.token = make(opts.token, RATE_LIMIT_DEFAULTS.token);
    this.ip = make(opts.ip, RATE_LIMIT_DEFAULTS.ip);
  }

  /**
   * Throws ERR_RATE_LIMITED when this device spent its budget (called once its signature
   * verified); the request's address gets back what the call was charged on arrival.
   */
  takeDevice(deviceId: string, req?: FastifyRequest): void {
    if (req && CHARGED_AS_SIGNED.has(req)) {
      CHARGED_AS_SIGNED.delete(req);
      this.ip?.give(req.ip);
    }
    const wait = this.device?.take(deviceId) ?? 0;
    if (wait) throw new RateLimitedError('device', wait);
  }
}

/**
 * The routes that verify an agent's signature (and so charge its device), as the router
 * matched them (request.routeOptions.url): a raw URL such as /v1/agent/%65nroll is the
 * enrollment route, whatever it looks like.
 */
const AGENT_SIGNED = new Set(['/v1/agent/unwrap', '/v1/agent/requests/:id', '/v1/keys/:id/public']);
const BEARER = /^Bearer (\S+)$/;
/** AWS KMS's SigV4 calls to the XKS API (xks/proxy.ts). */
const SIGV4 = /^AWS4-HMAC-SHA256 /;

/** Signed calls charged to their address on arrival and not yet verified (takeDevice gives it back). */
const CHARGED_AS_SIGNED = new WeakSet<FastifyRequest>();

/** Charges one call to its source address (the router's refusals, unauthenticated calls). */
export function chargeAddress(limits: RateLimiter, req: FastifyRequest): RateLimitedError | undefined {
  const wait = limits.ip?.take(req.ip) ?? 0;
  return wait ? new RateLimitedError('address', wait) : undefined;
}

/** What the onRequest hook charges, before any body is read or any row looked up. */
function charge(limits: RateLimiter, req: FastifyRequest): RateLimitedError | undefined {
  const auth = req.headers.authorization;
  const bearer = typeof auth === 'string' ? BEARER.exec(auth) : null;
  const route = req.routeOptions.url;
  const signed = req.headers.signature !== undefined && route !== undefined && AGENT_SIGNED.has(route);
  // An XKS call signed with SigV4: KMS sends up to 1,800 a second per keystore from few
  // addresses, so it is not charged on arrival; a failed signature is (onError below), and an
  // address that keeps failing waits (ThrottlingException, xks_proxy_api_spec.md "Error codes").
  if (typeof auth === 'string' && SIGV4.test(auth) && route !== undefined && route.startsWith('/xks/')) {
    const blocked = limits.ip?.peek(req.ip) ?? 0;
    return blocked ? new RateLimitedError('address', blocked) : undefined;
  }
  if (bearer) {
    // An address that keeps failing to authenticate waits before it may try again.
    const blocked = limits.ip?.peek(req.ip) ?? 0;
    if (blocked) return new RateLimitedError('address', blocked);
    if (limits.token) {
      const wait = limits.token.take(createHash('sha256').update(bearer[1]!).digest('base64'));
      if (wait) return new RateLimitedError('token', wait);
    }
    return undefined;
  }
  // A signed agent call pays like any other until its signature verified (takeDevice).
  const refused = chargeAddress(limits, req);
  if (!refused && signed) CHARGED_AS_SIGNED.add(req);
  return refused;
}

const AUTH_FAILURES = new Set(['ERR_UNAUTHENTICATED', 'ERR_REPLAY']);

/** Installs the per-token and per-IP checks; the per-device one is in auth/agent-signature.ts. */
export function installRateLimits(app: FastifyInstance, limits: RateLimiter): void {
  app.addHook('onRequest', (req: FastifyRequest, reply: FastifyReply, done: (err?: Error) => void) => {
    done(charge(limits, req));
  });
  app.addHook('onError', (req: FastifyRequest, _reply: FastifyReply, err: Error, done: () => void) => {
    // A signed call whose signature did not verify paid on arrival already.
    if (err instanceof SectorCryptError && AUTH_FAILURES.has(err.code) && !CHARGED_AS_SIGNED.has(req)) limits.ip?.take(req.ip);
    if (err instanceof XksError && err.errorName === 'AuthenticationFailedException') limits.ip?.take(req.ip);
    done();
  });
}
