/**
 * A trusted issuer's JWKS fetched from its `jwksUri` (HTTPS only) instead of given inline:
 * jose's remote key set (it caches the keys, refetches when a token names an unknown `kid`,
 * at most once per cooldown, and times out), over node:https so that an issuer may name the
 * CA that signs its server (`jwksCa`, PEM; default: Node's trust store). One key set per
 * (URL, CA) in this process, so the cache outlives a request.
 */
import { request } from 'node:https';
import { createRemoteJWKSet, customFetch, type FlattenedJWSInput, type JWSHeaderParameters, type CryptoKey } from 'jose';
import { SectorCryptError } from '../errors.js';

/** How long a fetch of the key set may take. */
export const JWKS_TIMEOUT_MS = 5000;
/** Keys are fetched again after this long, or sooner when a token names an unknown key id. */
export const JWKS_CACHE_MS = 10 * 60_000;
/** A key set larger than this is not a key set. */
const MAX_JWKS_BYTES = 256 * 1024;

type KeyResolver = (header: JWSHeaderParameters, token: FlattenedJWSInput) => Promise<CryptoKey>;

const sets = new Map<string, KeyResolver>();

/** An https:// URL without credentials; ERR_ARGUMENT otherwise (checked when the issuer is saved). */
export function checkJwksUri(uri: string): URL {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    throw new SectorCryptError('ERR_ARGUMENT', 'jwksUri is not a URL');
  }
  if (url.protocol !== 'https:') throw new SectorCryptError('ERR_ARGUMENT', 'jwksUri must be an https:// URL');
  if (url.username || url.password) throw new SectorCryptError('ERR_ARGUMENT', 'jwksUri must not carry credentials');
  return url;
}

/** fetch() as jose calls it, over node:https with the issuer's CA; redirects are not followed. */
function fetchWith(ca: string | undefined) {
  return (url: string, init: { headers: Headers; signal: AbortSignal }): Promise<Response> =>
    new Promise((resolve, reject) => {
      const req = request(url, { method: 'GET', headers: Object.fromEntries(init.headers), signal: init.signal, ...(ca ? { ca } : {}) }, (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          size += c.length;
          if (size > MAX_JWKS_BYTES) req.destroy(new Error(`the key set is larger than ${MAX_JWKS_BYTES} bytes`));
          else chunks.push(c);
        });
        res.on('error', reject);
        res.on('end', () => resolve(new Response(Buffer.concat(chunks), { status: res.statusCode ?? 500 })));
      });
      req.on('error', reject);
      req.end();
    });
}

/** The cached key resolver of an issuer's jwksUri. */
export function remoteJwks(uri: string, ca?: string): KeyResolver {
  const key = `${uri}\n${ca ?? ''}`;
  let set = sets.get(key);
  if (!set) {
    set = createRemoteJWKSet(checkJwksUri(uri), { timeoutDuration: JWKS_TIMEOUT_MS, cacheMaxAge: JWKS_CACHE_MS, [customFetch]: fetchWith(ca) }) as KeyResolver;
    sets.set(key, set);
  }
  return set;
}
