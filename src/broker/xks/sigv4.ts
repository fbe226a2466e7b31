/**
 * SigV4 verification of XKS requests (xks_proxy_api_spec.md "Authentication" and "Appendix A:
 * Using SigV4 to sign XKS proxy requests", Tasks 1 to 4): service `kms-xks-proxy`, any region,
 * SignedHeaders naming at least host and x-amz-date, a request time within 5 minutes of ours,
 * and the signature compared in constant time. Pure: the caller finds the secret by access key id.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { XksError } from './errors.js';

export const XKS_SERVICE = 'kms-xks-proxy';
const ALGORITHM = 'AWS4-HMAC-SHA256';
/** Appendix A, Task 4: a request more than 5 minutes in the past or future fails authentication. */
export const MAX_SKEW_MS = 5 * 60_000;

/** Appendix A: 20 to 30 characters, 'A' to 'Z' and '2' to '7' only. */
export const ACCESS_KEY_ID = /^[A-Z2-7]{20,30}$/;
/** "XKS proxy configuration in AWS KMS console": 43 to 64 characters, a-z, A-Z, 0-9, /, + and =. */
export const SECRET_ACCESS_KEY = /^[A-Za-z0-9/+=]{43,64}$/;

const AMZ_DATE = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/;
const REGION = /^[a-z0-9-]{1,64}$/;
const HEADER_NAME = /^[a-z0-9!#$%&'*+.^_`|~-]+$/;
const SIGNATURE = /^[0-9a-f]{64}$/;

export interface SigV4Header {
  accessKeyId: string;
  /** YYYYMMDD of the credential scope. */
  date: string;
  region: string;
  /** As sent (lower case, in the signer's order). */
  signedHeaders: string[];
  signature: Buffer;
  /** The X-Amz-Date header, YYYYMMDD'T'HHMMSS'Z'. */
  amzDate: string;
}

export interface SignedRequest {
  method: string;
  /** The request target as received: path and query. */
  url: string;
  /** Node's rawHeaders: name, value, name, value... */
  rawHeaders: readonly string[];
  body: Uint8Array;
}

function refuse(why: string): never {
  throw new XksError('AuthenticationFailedException', why);
}

/** The value of one header in rawHeaders, joined as Task 1 joins repeated headers; undefined if absent. */
function headerValues(rawHeaders: readonly string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!.toLowerCase();
    // Trimmed, inner runs of spaces made one (the canonical header value of Task 1).
    const value = rawHeaders[i + 1]!.trim().replace(/\s+/g, ' ');
    const had = out.get(name);
    out.set(name, had === undefined ? value : `${had},${value}`);
  }
  return out;
}

/**
 * Reads the Authorization and X-Amz-Date headers and checks everything that needs no secret:
 * the algorithm, the credential scope (its service, region and date), the access key id's
 * characters, the signed headers, the clock. Throws AuthenticationFailedException.
 */
export function parseSigV4(rawHeaders: readonly string[], now: Date): SigV4Header {
  const headers = headerValues(rawHeaders);
  const auth = headers.get('authorization');
  if (auth === undefined) refuse('the request is not signed (no Authorization header)');
  if (!auth.startsWith(`${ALGORITHM} `)) refuse(`the Authorization header is not ${ALGORITHM}`);
  const fields = new Map<string, string>();
  for (const part of auth.slice(ALGORITHM.length + 1).split(',')) {
    const eq = part.indexOf('=');
    if (eq < 0) refuse('the Authorization header is malformed');
    const key = part.slice(0, eq).trim();
    if (fields.has(key)) refuse(`the Authorization header repeats ${key}`);
    fields.set(key, part.slice(eq + 1).trim());
  }
  const credential = fields.get('Credential');
  const signedHeaders = fields.get('SignedHeaders');
  const signature = fields.get('Signature');
  if (credential === undefined || signedHeaders === undefined || signature === undefined || fields.size !== 3)
    refuse('the Authorization header needs exactly Credential, SignedHeaders and Signature');
  const scope = credential.split('/');
  if (scope.length !== 5) refuse('the credential is <access key id>/<date>/<region>/kms-xks-proxy/aws4_request');
  const [accessKeyId, date, region, service, terminator] = scope as [string, string, string, string, string];
  if (!ACCESS_KEY_ID.test(accessKeyId)) refuse('the access key id is 20 to 30 characters A-Z and 2-7');
  if (service !== XKS_SERVICE) refuse(`the credential's service is not ${XKS_SERVICE}`);
  if (terminator !== 'aws4_request') refuse('the credential scope does not end in aws4_request');
  if (!REGION.test(region)) refuse('the credential names no valid region');
  if (!SIGNATURE.test(signature)) refuse('the signature is not 64 lower-case hex digits');
  const names = signedHeaders.split(';');
  if (names.some((n) => !HEADER_NAME.test(n))) refuse('SignedHeaders lists lower-case header names separated by ;');
  if (new Set(names).size !== names.length) refuse('SignedHeaders repeats a header');
  // Appendix A: every request from KMS signs at least Host and X-Amz-Date.
  if (!names.includes('host') || !names.includes('x-amz-date')) refuse('SignedHeaders must include host and x-amz-date');
  for (const n of names) if (!headers.has(n)) refuse(`the signed header ${n} is missing`);
  const amzDate = headers.get('x-amz-date')!;
  const m = AMZ_DATE.exec(amzDate);
  if (!m) refuse('X-Amz-Date is YYYYMMDDTHHMMSSZ');
  if (amzDate.slice(0, 8) !== date) refuse("the credential's date is not the date of X-Amz-Date");
  const [y, mo, d, h, mi, s] = m.slice(1).map(Number) as [number, number, number, number, number, number];
  const at = Date.UTC(y, mo - 1, d, h, mi, s);
  if (Number.isNaN(at) || Math.abs(at - now.getTime()) > MAX_SKEW_MS) refuse('X-Amz-Date is more than 5 minutes from the proxy clock');
  return { accessKeyId, date, region, signedHeaders: names, signature: Buffer.from(signature, 'hex'), amzDate };
}

/** RFC 3986 unreserved characters stay; everything else is %XX (upper case), as Task 1 encodes. */
function uriEncode(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** Task 1's CanonicalURI (each segment encoded, as for every service but S3) and CanonicalQueryString. */
function canonicalTarget(url: string): { path: string; query: string } {
  const q = url.indexOf('?');
  const rawPath = q < 0 ? url : url.slice(0, q);
  const path = rawPath === '' ? '/' : rawPath.split('/').map(uriEncode).join('/');
  if (q < 0 || q === url.length - 1) return { path, query: '' };
  const pairs = url
    .slice(q + 1)
    .split('&')
    .filter((p) => p !== '')
    .map((p) => {
      const eq = p.indexOf('=');
      const k = eq < 0 ? p : p.slice(0, eq);
      const v = eq < 0 ? '' : p.slice(eq + 1);
      return [uriEncode(decodeURIComponent(k)), uriEncode(decodeURIComponent(v))] as const;
    })
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0));
  return { path, query: pairs.map(([k, v]) => `${k}=${v}`).join('&') };
}

const hex = (data: string | Uint8Array) => createHash('sha256').update(data).digest('hex');
const hmac = (key: Uint8Array, data: string) => createHmac('sha256', key).update(data, 'utf8').digest();

/** Task 1 to 2: the string to sign. */
export function stringToSign(req: SignedRequest, h: SigV4Header): string {
  const headers = headerValues(req.rawHeaders);
  const { path, query } = canonicalTarget(req.url);
  const canonical = [
    req.method.toUpperCase(),
    path,
    query,
    h.signedHeaders.map((n) => `${n}:${headers.get(n) ?? ''}\n`).join(''),
    h.signedHeaders.join(';'),
    hex(req.body),
  ].join('\n');
  return [ALGORITHM, h.amzDate, `${h.date}/${h.region}/${XKS_SERVICE}/aws4_request`, hex(canonical)].join('\n');
}

/** Task 3: the signature under a secret access key (the secret's UTF-8 bytes). */
export function sign(secret: Uint8Array, h: Pick<SigV4Header, 'date' | 'region'>, toSign: string): Buffer {
  const k0 = Buffer.concat([Buffer.from('AWS4', 'utf8'), secret]);
  try {
    const kDate = hmac(k0, h.date);
    const kRegion = hmac(kDate, h.region);
    const kService = hmac(kRegion, XKS_SERVICE);
    const kSigning = hmac(kService, 'aws4_request');
    const out = hmac(kSigning, toSign);
    for (const k of [kDate, kRegion, kService, kSigning]) k.fill(0);
    return out;
  } finally {
    k0.fill(0);
  }
}

/** A stand-in secret for an unknown access key id: the work is the same, the answer false. */
const NO_SECRET = new Uint8Array(44);

/**
 * Task 4: true when the signature matches under `secret` (compared in constant time). With no
 * secret (unknown access key id) the same work is done and the answer is false.
 */
export function verifySigV4(req: SignedRequest, h: SigV4Header, secret: Uint8Array | undefined): boolean {
  const expected = sign(secret ?? NO_SECRET, h, stringToSign(req, h));
  const same = timingSafeEqual(expected, h.signature);
  expected.fill(0);
  return same && secret !== undefined;
}
