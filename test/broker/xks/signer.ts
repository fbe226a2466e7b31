/**
 * Independent SigV4 signers for the XKS tests: the AWS SDK's own (@smithy/signature-v4) and curl's
 * `--aws-sigv4` (xks_proxy_api_spec.md "Appendix D: Using curl for XKS API calls"). Nothing here
 * shares code with src/broker/xks/sigv4.ts.
 */
import { SignatureV4 } from '@smithy/signature-v4';
import { Sha256 } from '@aws-crypto/sha256-js';
import { execFile } from 'node:child_process';
import { request } from 'node:https';
import { readAnswer } from '../read-answer.js';

export interface XksCredential {
  accessKeyId: string;
  secretAccessKey: string;
}

/** Headers (host, x-amz-date, authorization, ...) signed by the AWS SDK's signer. */
export async function smithyHeaders(opts: {
  url: string;
  body: string;
  credential: XksCredential;
  region?: string;
  service?: string;
  date?: Date;
  method?: string;
}): Promise<Record<string, string>> {
  const u = new URL(opts.url);
  const signer = new SignatureV4({
    service: opts.service ?? 'kms-xks-proxy',
    region: opts.region ?? 'us-east-1',
    credentials: { accessKeyId: opts.credential.accessKeyId, secretAccessKey: opts.credential.secretAccessKey },
    sha256: Sha256,
  });
  const signed = await signer.sign(
    {
      method: opts.method ?? 'POST',
      protocol: u.protocol,
      hostname: u.hostname,
      port: Number(u.port),
      path: u.pathname,
      query: {},
      headers: { host: u.host, 'content-type': 'application/json' },
      body: opts.body,
    },
    opts.date ? { signingDate: opts.date } : {},
  );
  return signed.headers as Record<string, string>;
}

export interface XksAnswer {
  status: number;
  body: any;
  headers: Record<string, string | string[] | undefined>;
}

/** Sends over HTTPS pinned to `ca` (keep-alive off: each call its own connection). */
export function sendHttps(ca: string, url: string, method: string, headers: Record<string, string>, body?: string): Promise<XksAnswer> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method,
        ca,
        headers: { ...headers, ...(body !== undefined ? { 'content-length': String(Buffer.byteLength(body)) } : {}) },
        agent: false,
      },
      (res) => void readAnswer(res).then(resolve, reject),
    );
    req.on('error', reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

/** A signed XKS call with the SDK's signer. */
export async function xksCall(
  ca: string,
  url: string,
  body: unknown,
  credential: XksCredential,
  opts: { region?: string; date?: Date; service?: string } = {},
): Promise<XksAnswer> {
  const text = JSON.stringify(body);
  const headers = await smithyHeaders({ url, body: text, credential, ...opts });
  return sendHttps(ca, url, 'POST', headers, text);
}

/** What curl made of a call: its exit code (0, or 35 / 52 / 56 when the server closed the connection), the status and body when it got an answer. */
export interface CurlOutcome {
  code: number;
  status?: number;
  body?: any;
}

/**
 * A signed XKS call made by curl (--aws-sigv4), as the spec's Appendix D does; the CA file
 * pins the broker, `cert` is a client certificate for mutual TLS (--cert / --key).
 */
export function curlXks(
  caFile: string,
  url: string,
  body: unknown,
  credential: XksCredential,
  opts: { region?: string; cert?: { certFile: string; keyFile: string } } = {},
): Promise<CurlOutcome> {
  return new Promise((resolve) => {
    execFile(
      'curl',
      [
        '-s',
        '--cacert',
        caFile,
        ...(opts.cert ? ['--cert', opts.cert.certFile, '--key', opts.cert.keyFile] : []),
        '--aws-sigv4',
        `aws:amz:${opts.region ?? 'us-east-1'}:kms-xks-proxy`,
        '--user',
        `${credential.accessKeyId}:${credential.secretAccessKey}`,
        '-X',
        'POST',
        '-H',
        'Content-Type: application/json',
        '--data-binary',
        JSON.stringify(body),
        '-w',
        '\n%{http_code}',
        url,
      ],
      (err, stdout) => {
        const code = err ? Number((err as { code?: unknown }).code ?? 1) : 0;
        const nl = stdout.lastIndexOf('\n');
        const status = Number(stdout.slice(nl + 1));
        const text = stdout.slice(0, nl);
        let parsed: unknown = text;
        try {
          parsed = JSON.parse(text);
        } catch {
          // not JSON
        }
        resolve({ code, ...(status > 0 ? { status, body: parsed } : {}) });
      },
    );
  });
}

/** curlXks for a call that must get an answer: rejects when curl failed. */
export async function curlCall(
  caFile: string,
  url: string,
  body: unknown,
  credential: XksCredential,
  region = 'us-east-1',
): Promise<XksAnswer> {
  const r = await curlXks(caFile, url, body, credential, { region });
  if (r.code !== 0 || r.status === undefined) throw new Error(`curl exited ${r.code}`);
  return { status: r.status, body: r.body, headers: {} };
}
