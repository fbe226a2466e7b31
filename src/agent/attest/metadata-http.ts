/**
 * HTTP to a cloud metadata service: plain node:http (no proxy: the metadata address must be
 * reached directly), a short connect and total timeout, and at most one retry, on a network
 * failure or a 5xx only, so a host off the cloud gives up within seconds and never floods.
 */
import http from 'node:http';
import { SectorCryptError } from '../../errors.js';

/** The link-local metadata address of AWS, Google Cloud and Azure. */
export const METADATA_BASE_URL = 'http://169.254.169.254';

export interface MetadataFetchOptions {
  /** Tests only: a loopback http:// URL that stands in for the metadata address. */
  metadataBaseUrlForTests?: string;
  connectTimeoutMs?: number;
  totalTimeoutMs?: number;
}

export const METADATA_TIMEOUTS = { connectTimeoutMs: 1000, totalTimeoutMs: 2000 };
const MAX_BODY = 256 * 1024;

/** The base URL to use; a test override must be a loopback http:// address, never a real host. */
export function metadataBase(options: MetadataFetchOptions): string {
  const override = options.metadataBaseUrlForTests;
  if (override === undefined) return METADATA_BASE_URL;
  const url = new URL(override);
  if (url.protocol !== 'http:' || !['127.0.0.1', '[::1]', 'localhost'].includes(url.hostname)) {
    throw new SectorCryptError('ERR_ARGUMENT', `metadataBaseUrlForTests must be a loopback http:// URL, not ${override}`);
  }
  return url.origin;
}

export interface MetadataResponse {
  status: number;
  body: string;
}

function once(url: string, method: string, headers: Record<string, string>, options: MetadataFetchOptions): Promise<MetadataResponse> {
  const connectMs = options.connectTimeoutMs ?? METADATA_TIMEOUTS.connectTimeoutMs;
  const totalMs = options.totalTimeoutMs ?? METADATA_TIMEOUTS.totalTimeoutMs;
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers, agent: false, signal: AbortSignal.timeout(totalMs) }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_BODY) req.destroy(new Error(`answer larger than ${MAX_BODY} bytes`));
        else chunks.push(chunk);
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('socket', (socket) => {
      if (!socket.connecting) return;
      const timer = setTimeout(() => req.destroy(new Error(`no connection within ${connectMs} ms`)), connectMs);
      socket.once('connect', () => clearTimeout(timer));
      socket.once('close', () => clearTimeout(timer));
    });
    req.on('error', (err) => reject(err.name === 'AbortError' ? new Error(`no answer within ${totalMs} ms`) : err));
    req.end();
  });
}

/** One request, retried once after a network failure or a 5xx answer. */
export async function metadataRequest(
  path: string,
  init: { method?: string; headers?: Record<string, string> },
  options: MetadataFetchOptions,
): Promise<MetadataResponse> {
  const url = metadataBase(options) + path;
  const method = init.method ?? 'GET';
  const headers = init.headers ?? {};
  let first: MetadataResponse | undefined;
  try {
    first = await once(url, method, headers, options);
    if (first.status < 500) return first;
  } catch {
    // fall through to the single retry
  }
  try {
    return await once(url, method, headers, options);
  } catch (err) {
    if (first) return first;
    throw err;
  }
}

/** The body of a 200 answer, or an error naming the path and status. */
export async function metadataGet(
  path: string,
  init: { method?: string; headers?: Record<string, string> },
  options: MetadataFetchOptions,
): Promise<string> {
  const res = await metadataRequest(path, init, options);
  if (res.status !== 200) throw new Error(`${init.method ?? 'GET'} ${path.split('?')[0]}: HTTP ${res.status}`);
  return res.body;
}
