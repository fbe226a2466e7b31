/**
 * A trusted issuer's JWKS fetched from its `jwksUri` (HTTPS only) instead of given inline:
 * jose's remote key set (it caches the keys, refetches when a token names an unknown `kid`,
 * at most once per cooldown, and times out), over node:https so that an issuer may name the
 * CA that signs its server (`jwksCa`, PEM; default: Node's trust store). One key set per
 * (URL, CA, allowance) in this process, so the cache outlives a request.
 *
 * The URL is a tenant admin's choice and the broker fetches it from inside the network, so
 * it must not reach this machine or the private network (network-ranges.ts) unless the
 * issuer allows it (`allowPrivateNetwork`): checked when the issuer is saved (an IP literal,
 * a localhost name) and again at every fetch, on every address the name resolves to, and the
 * connection goes to the address checked (a custom lookup), so DNS rebinding cannot slip in
 * between. A failed fetch is a JwksFetchError: a generic message for the agent, the detail
 * (the error code, the address) for the audit record only.
 */
import { request } from 'node:https';
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { isIP, type LookupFunction } from 'node:net';
import { createRemoteJWKSet, customFetch, type FlattenedJWSInput, type JWSHeaderParameters, type CryptoKey } from 'jose';
import { SectorCryptError } from '../../errors.js';
import { isLocalhostName, specialRange } from './network-ranges.js';

/** How long a fetch of the key set may take. */
export const JWKS_TIMEOUT_MS = 5000;
/** Keys are fetched again after this long, or sooner when a token names an unknown key id. */
export const JWKS_CACHE_MS = 10 * 60_000;
/** A key set larger than this is not a key set. */
const MAX_JWKS_BYTES = 256 * 1024;

type KeyResolver = (header: JWSHeaderParameters, token: FlattenedJWSInput) => Promise<CryptoKey>;

/** dns.lookup's shape with `all: true`, replaceable in tests. */
export type Resolve = (
  hostname: string,
  options: { all: true; family?: number },
  callback: (err: NodeJS.ErrnoException | null, addresses: LookupAddress[]) => void,
) => void;

export interface JwksFetchDetail {
  /** The error's code (ECONNREFUSED, EPROTO, a certificate code, HTTP_STATUS, ...) or name. */
  code: string;
  /** The addresses the host resolved to, as far as known. */
  addresses?: string[];
  status?: number;
}

/** A key set that could not be fetched. The message is for anyone; `detail` for the audit record only. */
export class JwksFetchError extends Error {
  constructor(
    readonly detail: JwksFetchDetail,
    options?: { cause?: unknown },
  ) {
    super("the attestation token's issuer key set could not be fetched", options);
    this.name = 'JwksFetchError';
  }
}

const sets = new Map<string, KeyResolver>();

function hostOf(url: URL): string {
  return url.hostname.replace(/^\[(.*)\]$/, '$1');
}

/** Why the broker may not connect to `address`, or undefined. */
function refusal(address: string, allowPrivateNetwork: boolean): string | undefined {
  if (allowPrivateNetwork) return undefined;
  const range = specialRange(address);
  return range && `${address} is a ${range} address`;
}

/**
 * An https:// URL without credentials, whose host is not a localhost name nor an IP literal
 * in a special range unless `allowPrivateNetwork`; ERR_ARGUMENT otherwise (checked when the
 * issuer is saved; a name's addresses are checked when it is fetched).
 */
export function checkJwksUri(uri: string, allowPrivateNetwork = false): URL {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    throw new SectorCryptError('ERR_ARGUMENT', 'jwksUri is not a URL');
  }
  if (url.protocol !== 'https:') throw new SectorCryptError('ERR_ARGUMENT', 'jwksUri must be an https:// URL');
  if (url.username || url.password) throw new SectorCryptError('ERR_ARGUMENT', 'jwksUri must not carry credentials');
  if (!allowPrivateNetwork) {
    const host = hostOf(url);
    const why = isLocalhostName(host) ? `${host} is this machine` : isIP(host) ? refusal(host, false) : undefined;
    if (why)
      throw new SectorCryptError(
        'ERR_ARGUMENT',
        `jwksUri must not name a loopback, private, link-local or other special address (${why}); set "allowPrivateNetwork": true on the issuer to allow it`,
      );
  }
  return url;
}

/** A lookup for net.connect that resolves every address, refuses when any is special, and connects to the ones checked. */
export function checkedLookup(
  allowPrivateNetwork: boolean,
  seen: (addresses: string[]) => void,
  resolve: Resolve = dnsLookup as unknown as Resolve,
): LookupFunction {
  return (hostname, options, callback) => {
    const cb = callback as (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;
    resolve(hostname, { all: true, ...(options.family ? { family: Number(options.family) } : {}) }, (err, addresses) => {
      if (err) return cb(err, '');
      seen(addresses.map((a) => a.address));
      if (!addresses.length) return cb(Object.assign(new Error(`${hostname} has no address`), { code: 'ENOTFOUND' }), '');
      for (const a of addresses) {
        const why = refusal(a.address, allowPrivateNetwork);
        if (why) return cb(Object.assign(new Error(`${hostname} resolves to ${why}`), { code: 'ERR_JWKS_ADDRESS_REFUSED' }), '');
      }
      if (options.all) cb(null, addresses);
      else cb(null, addresses[0]!.address, addresses[0]!.family);
    });
  };
}

export interface RemoteJwksOptions {
  /** The CA of the server, PEM (default: Node's trust store). */
  ca?: string;
  /** The issuer allows a loopback, private or link-local server (an admin's explicit choice). */
  allowPrivateNetwork?: boolean;
  /** Name resolution (tests); default dns.lookup. */
  resolve?: Resolve;
}

/** fetch() as jose calls it, over node:https with the issuer's CA; redirects are not followed. */
function fetchWith(opts: RemoteJwksOptions) {
  const allow = opts.allowPrivateNetwork === true;
  return (url: string, init: { headers: Headers; signal: AbortSignal }): Promise<Response> =>
    new Promise((resolve, reject) => {
      let addresses: string[] | undefined;
      const failed = (code: string, cause?: unknown, status?: number) =>
        reject(new JwksFetchError({ code, ...(addresses ? { addresses } : {}), ...(status !== undefined ? { status } : {}) }, { cause }));
      const host = hostOf(new URL(url));
      if (isIP(host)) {
        // net.connect does not look an IP literal up: check it here (an issuer saved before the check).
        addresses = [host];
        if (refusal(host, allow) || (!allow && isLocalhostName(host))) return failed('ERR_JWKS_ADDRESS_REFUSED');
      } else if (!allow && isLocalhostName(host)) {
        addresses = [];
        return failed('ERR_JWKS_ADDRESS_REFUSED');
      }
      const lookup = checkedLookup(allow, (a) => (addresses = a), opts.resolve);
      const req = request(
        url,
        { method: 'GET', headers: Object.fromEntries(init.headers), signal: init.signal, lookup, ...(opts.ca ? { ca: opts.ca } : {}) },
        (res) => {
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (c: Buffer) => {
            size += c.length;
            if (size > MAX_JWKS_BYTES)
              req.destroy(Object.assign(new Error(`the key set is larger than ${MAX_JWKS_BYTES} bytes`), { code: 'ERR_JWKS_TOO_LARGE' }));
            else chunks.push(c);
          });
          res.on('error', (err: NodeJS.ErrnoException) => failed(err.code ?? err.name, err));
          res.on('end', () => {
            if (res.statusCode !== 200) return failed('HTTP_STATUS', undefined, res.statusCode);
            const body = Buffer.concat(chunks);
            try {
              JSON.parse(body.toString('utf8'));
            } catch (cause) {
              return failed('ERR_JWKS_NOT_JSON', cause);
            }
            resolve(new Response(body, { status: 200 }));
          });
        },
      );
      req.on('error', (err: NodeJS.ErrnoException) => failed(err.code ?? err.name, err));
      req.end();
    });
}

/** The cached key resolver of an issuer's jwksUri. */
export function remoteJwks(uri: string, opts: RemoteJwksOptions = {}): KeyResolver {
  const allow = opts.allowPrivateNetwork === true;
  const key = `${uri}\n${opts.ca ?? ''}\n${allow}`;
  let set = opts.resolve ? undefined : sets.get(key);
  if (!set) {
    // The address checks are fetchWith's, at every fetch: an issuer saved before them still gets them.
    set = createRemoteJWKSet(checkJwksUri(uri, true), {
      timeoutDuration: JWKS_TIMEOUT_MS,
      cacheMaxAge: JWKS_CACHE_MS,
      [customFetch]: fetchWith(opts),
    }) as KeyResolver;
    if (!opts.resolve) sets.set(key, set);
  }
  return set;
}
