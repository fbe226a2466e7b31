/** The XKS protocol core without a broker: SigV4 checked against independent signers, GCM and its AAD, CDIV, bodies, errors. */
import { describe, expect, it } from 'vitest';
import { createServer, type IncomingMessage } from 'node:http';
import { execFile } from 'node:child_process';
import { createDecipheriv, randomBytes } from 'node:crypto';
import { parseSigV4, verifySigV4, type SignedRequest } from '../../../src/broker/xks/sigv4.js';
import { XKS_ERRORS, XksError } from '../../../src/broker/xks/errors.js';
import { cdiv, decrypt, encrypt, encryptChecked } from '../../../src/broker/xks/gcm.js';
import { parseDecryptRequest, parseEncryptRequest, parseMetadataRequest } from '../../../src/broker/xks/requests.js';
import { healthAnswer } from '../../../src/broker/xks/health.js';
import { smithyHeaders } from './signer.js';

const CRED = { accessKeyId: 'HGIE2BUAFNDMBCMSQVWLGCEX', secretAccessKey: 'VU6W2byoiBrhDqNGbx703oL0syCAmhlQgwNUT123456=' };
const secret = (s = CRED.secretAccessKey) => new Uint8Array(Buffer.from(s, 'utf8'));
const BODY = JSON.stringify({ requestMetadata: { kmsOperation: 'KmsHealthCheck', kmsRequestId: 'r-1' } });

/** What the proxy receives for headers signed by the SDK's signer. */
function received(headers: Record<string, string>, body = BODY, url = '/p/kms/xks/v1/health'): SignedRequest {
  return { method: 'POST', url, rawHeaders: Object.entries(headers).flat(), body: Buffer.from(body) };
}

function code(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    if (e instanceof XksError) return e.errorName;
    throw e;
  }
  return undefined;
}

describe('XKS: errors', () => {
  it('names and statuses are those of the spec table', () => {
    expect(XKS_ERRORS).toEqual({
      ValidationException: 400,
      InvalidStateException: 400,
      InvalidCiphertextException: 400,
      InvalidKeyUsageException: 400,
      AuthenticationFailedException: 401,
      AccessDeniedException: 403,
      KeyNotFoundException: 404,
      InvalidUriPathException: 404,
      ThrottlingException: 429,
      UnsupportedOperationException: 501,
      DependencyTimeoutException: 503,
      InternalException: 500,
    });
    const e = new XksError('InternalException', `caf\u00e9 ${'x'.repeat(600)}`);
    expect(e.message.length).toBeLessThan(512);
    expect(e.message).toMatch(/^[\x20-\x7e]*$/);
  });
});

describe('XKS: SigV4', () => {
  const url = 'https://xks.example.com:8443/p/kms/xks/v1/health';
  const now = new Date('2026-01-02T03:04:05Z');

  it('verifies what the AWS SDK signer signs, in any region', async () => {
    for (const region of ['us-east-1', 'eu-west-3', 'ap-southeast-2']) {
      const h = await smithyHeaders({ url, body: BODY, credential: CRED, region, date: now });
      const parsed = parseSigV4(Object.entries(h).flat(), now);
      expect(parsed).toMatchObject({ accessKeyId: CRED.accessKeyId, region, date: '20260102' });
      expect(parsed.signedHeaders).toEqual(expect.arrayContaining(['host', 'x-amz-date']));
      expect(verifySigV4(received(h), parsed, secret())).toBe(true);
    }
  });

  it('refuses another secret, another body, another path, another method, no secret', async () => {
    const h = await smithyHeaders({ url, body: BODY, credential: CRED, date: now });
    const parsed = parseSigV4(Object.entries(h).flat(), now);
    expect(verifySigV4(received(h), parsed, secret('VU6W2byoiBrhDqNGbx703oL0syCAmhlQgwNUT123457='))).toBe(false);
    expect(verifySigV4(received(h, BODY.replace('r-1', 'r-2')), parsed, secret())).toBe(false);
    expect(verifySigV4(received(h, BODY, '/q/kms/xks/v1/health'), parsed, secret())).toBe(false);
    expect(verifySigV4({ ...received(h), method: 'PUT' }, parsed, secret())).toBe(false);
    expect(verifySigV4(received({ ...h, host: 'evil.example.com:8443' }), parsed, secret())).toBe(false);
    expect(verifySigV4(received(h), parsed, undefined)).toBe(false);
  });

  it('refuses a clock more than 5 minutes off either way, and accepts within', async () => {
    const h = await smithyHeaders({ url, body: BODY, credential: CRED, date: now });
    const raw = Object.entries(h).flat();
    expect(code(() => parseSigV4(raw, new Date(now.getTime() + 299_000)))).toBeUndefined();
    expect(code(() => parseSigV4(raw, new Date(now.getTime() - 299_000)))).toBeUndefined();
    expect(code(() => parseSigV4(raw, new Date(now.getTime() + 301_000)))).toBe('AuthenticationFailedException');
    expect(code(() => parseSigV4(raw, new Date(now.getTime() - 301_000)))).toBe('AuthenticationFailedException');
  });

  it('refuses another service, bad access key ids, headers left unsigned, malformed headers', async () => {
    const other = await smithyHeaders({ url, body: BODY, credential: CRED, date: now, service: 'kms' });
    expect(code(() => parseSigV4(Object.entries(other).flat(), now))).toBe('AuthenticationFailedException');
    for (const id of ['HGIE2BUAFNDMBCMSQVW', 'HGIE2BUAFNDMBCMSQVWLGCEXAMPLE1X2', 'HGIE2BUAFNDMBCMSQVWLGCE1', 'hgie2buafndmbcmsqvwlgcex']) {
      const h = await smithyHeaders({ url, body: BODY, credential: { ...CRED, accessKeyId: id }, date: now });
      expect(code(() => parseSigV4(Object.entries(h).flat(), now))).toBe('AuthenticationFailedException');
    }
    const h = await smithyHeaders({ url, body: BODY, credential: CRED, date: now });
    const auth = h.authorization!;
    const variants = [
      auth.replace(/SignedHeaders=[^,]*/, 'SignedHeaders=host'),
      auth.replace(/SignedHeaders=[^,]*/, 'SignedHeaders=x-amz-date'),
      auth.replace('AWS4-HMAC-SHA256', 'AWS4-HMAC-SHA512'),
      auth.replace(/Signature=\w+/, 'Signature=abc'),
      auth.replace('aws4_request', 'aws5_request'),
      `${auth}, Signature=${'0'.repeat(64)}`,
      auth.replace(/\/\d{8}\//, '/20260101/'),
      '',
    ];
    for (const a of variants)
      expect(code(() => parseSigV4(Object.entries({ ...h, authorization: a }).flat(), now))).toBe('AuthenticationFailedException');
    const { authorization: _, ...unsigned } = h;
    expect(code(() => parseSigV4(Object.entries(unsigned).flat(), now))).toBe('AuthenticationFailedException');
  });

  it("verifies what curl's --aws-sigv4 signs (Appendix D)", async () => {
    const seen = new Promise<{ req: IncomingMessage; body: Buffer }>((resolve) => {
      const server = createServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on('data', (c: Buffer) => chunks.push(c));
        req.on('end', () => {
          res.end('{}');
          server.close();
          resolve({ req, body: Buffer.concat(chunks) });
        });
      }).listen(0, '127.0.0.1', () => {
        const port = (server.address() as { port: number }).port;
        execFile('curl', [
          '-s',
          '--aws-sigv4',
          'aws:amz:eu-central-1:kms-xks-proxy',
          '--user',
          `${CRED.accessKeyId}:${CRED.secretAccessKey}`,
          '-X',
          'POST',
          '-H',
          'Content-Type: application/json',
          '--data-binary',
          BODY,
          `http://127.0.0.1:${port}/tenant-a/kms/xks/v1/health`,
        ]);
      });
    });
    const { req, body } = await seen;
    const parsed = parseSigV4(req.rawHeaders, new Date());
    expect(parsed.region).toBe('eu-central-1');
    const r: SignedRequest = { method: req.method!, url: req.url!, rawHeaders: req.rawHeaders, body };
    expect(verifySigV4(r, parsed, secret())).toBe(true);
    expect(verifySigV4({ ...r, body: Buffer.from(`${BODY} `) }, parsed, secret())).toBe(false);
  });
});

describe('XKS: AES-GCM, AAD and CDIV', () => {
  it('computes the CDIV of Appendix C', () => {
    const h = (s: string) => new Uint8Array(Buffer.from(s.replace(/\s/g, ''), 'hex'));
    const aad = Buffer.from('project=nile,department=marketing');
    const s = {
      ciphertextMetadata: Buffer.from('key_version=1'),
      iv: h('1c ca e5 47 0f 39 70 02 54 77 90 31'),
      ciphertext: h('82 1c 64 2b 5b 71 78 33 67 de af 18'),
      tag: h('bc 1c 4d da 77 07 d6 81 24 47 c5 95 5e 99 b2 61'),
    };
    expect(cdiv(aad, s)).toBe('qHA/ImC9h5HsLRXqCyPmWgYx7tzyoTplzILbP0fPXsc=');
    // Absent fields are the empty string.
    const { ciphertextMetadata: _, ...bare } = s;
    expect(cdiv(undefined, bare)).not.toBe(cdiv(aad, bare));
  });

  it('uses the length-prefixed AAD of "Encrypt" (checked with node:crypto directly)', () => {
    const key = randomBytes(32);
    const aad = Buffer.from('project=nile');
    const s = encrypt(key, Buffer.from('Hello World!'), aad);
    expect(s.iv.length).toBe(12);
    expect(s.tag.length).toBe(16);
    expect(s.ciphertext.length).toBe(12);
    const d = createDecipheriv('aes-256-gcm', key, s.iv);
    d.setAAD(Buffer.concat([Buffer.from([0, aad.length]), aad, Buffer.from([0])]));
    d.setAuthTag(s.tag);
    expect(Buffer.concat([d.update(s.ciphertext), d.final()]).toString()).toBe('Hello World!');
  });

  it('refuses a changed AAD, metadata passed as AAD, and any changed bit', () => {
    const key = randomBytes(32);
    const s = encrypt(key, Buffer.from('data key'), undefined);
    expect(Buffer.from(decrypt(key, s, undefined)).toString()).toBe('data key');
    expect(() => decrypt(key, s, Buffer.from('x'))).toThrow(XksError);
    // Encrypt with AAD "m", decrypt with the same bytes as ciphertextMetadata instead: refused.
    const withAad = encrypt(key, Buffer.from('k'), Buffer.from('m'));
    expect(code(() => decrypt(key, { ...withAad, ciphertextMetadata: Buffer.from('m') }, undefined))).toBe('InvalidCiphertextException');
    for (const f of ['ciphertext', 'iv', 'tag'] as const) {
      const bad = Buffer.from(s[f]);
      bad[0]! ^= 1;
      expect(code(() => decrypt(key, { ...s, [f]: bad }, undefined))).toBe('InvalidCiphertextException');
    }
    expect(code(() => decrypt(randomBytes(32), s, undefined))).toBe('InvalidCiphertextException');
  });

  it('encryptChecked returns a CDIV over what it returns', () => {
    const key = randomBytes(32);
    const aad = Buffer.from('a');
    const out = encryptChecked(key, Buffer.from('p'), aad);
    expect(out.cdiv).toBe(cdiv(aad, out));
  });
});

describe('XKS: request bodies', () => {
  const meta = {
    awsPrincipalArn: 'arn:aws:iam::123456789012:user/Alice',
    kmsKeyArn: 'arn:aws:kms:us-east-2:1:key/k',
    kmsOperation: 'Encrypt',
    kmsRequestId: 'r',
  };
  const enc = { requestMetadata: meta, plaintext: 'SGVsbG8gV29ybGQh', encryptionAlgorithm: 'AES_GCM' };

  it('parses the spec examples and keeps unknown metadata strings', () => {
    const e = parseEncryptRequest({
      ...enc,
      additionalAuthenticatedData: 'cHJvamVjdD1uaWxlLGRlcGFydG1lbnQ9bWFya2V0aW5n',
      ciphertextDataIntegrityValueAlgorithm: 'SHA_256',
      later: 1,
    });
    expect(Buffer.from(e.plaintext).toString()).toBe('Hello World!');
    expect(e.cdiv).toBe(true);
    const m = parseMetadataRequest(
      { requestMetadata: { ...meta, kmsOperation: 'CreateKey', sourceIdentity: 'alice', n: 3 } },
      'GetKeyMetadata',
    );
    expect(m.requestMetadata).toMatchObject({ sourceIdentity: 'alice' });
    expect(m.requestMetadata).not.toHaveProperty('n');
    const d = parseDecryptRequest({
      requestMetadata: { ...meta, kmsOperation: 'Decrypt' },
      additionalAuthenticatedData: 'cHJvamVjdD1uaWxlLGRlcGFydG1lbnQ9bWFya2V0aW5n',
      encryptionAlgorithm: 'AES_GCM',
      ciphertext: 'ghxkK1txeDNn3q8Y',
      ciphertextMetadata: 'a2V5X3ZlcnNpb249MQ==',
      initializationVector: 'HMrlRw85cAJUd5Ax',
      authenticationTag: 'vBxN2ncH1oEkR8WVXpmyYQ==',
    });
    expect(d.iv.length).toBe(12);
    expect(d.ciphertextMetadata!.length).toBe(13);
    expect(
      parseMetadataRequest({ requestMetadata: { kmsOperation: 'KmsHealthCheck', kmsRequestId: 'x' } }, 'GetHealthStatus'),
    ).toBeTruthy();
  });

  it('refuses what the spec does not allow, with its error names', () => {
    const cases: [unknown, string][] = [
      [null, 'ValidationException'],
      [[], 'ValidationException'],
      [{ ...enc, requestMetadata: undefined }, 'ValidationException'],
      [{ ...enc, requestMetadata: { ...meta, kmsRequestId: undefined } }, 'ValidationException'],
      [{ ...enc, requestMetadata: { ...meta, kmsKeyArn: 7 } }, 'ValidationException'],
      [{ ...enc, requestMetadata: { ...meta, awsPrincipalArn: 'a'.repeat(2049) } }, 'ValidationException'],
      [{ ...enc, plaintext: 'not base64!' }, 'ValidationException'],
      [{ ...enc, plaintext: 'SGVsbG8' }, 'ValidationException'],
      [{ ...enc, plaintext: undefined }, 'ValidationException'],
      [{ ...enc, encryptionAlgorithm: undefined }, 'ValidationException'],
      [{ ...enc, encryptionAlgorithm: 'AES_CBC' }, 'UnsupportedOperationException'],
      [{ ...enc, ciphertextDataIntegrityValueAlgorithm: 'MD5' }, 'UnsupportedOperationException'],
      [{ ...enc, plaintext: Buffer.alloc(8193).toString('base64') }, 'UnsupportedOperationException'],
      [{ ...enc, additionalAuthenticatedData: Buffer.alloc(8193).toString('base64') }, 'UnsupportedOperationException'],
    ];
    for (const [body, name] of cases) expect([body, code(() => parseEncryptRequest(body))]).toEqual([body, name]);
    expect(
      code(() =>
        parseEncryptRequest({
          ...enc,
          plaintext: Buffer.alloc(4300).toString('base64'),
          additionalAuthenticatedData: Buffer.alloc(8192).toString('base64'),
        }),
      ),
    ).toBeUndefined();
    const dec = {
      requestMetadata: meta,
      encryptionAlgorithm: 'AES_GCM',
      ciphertext: 'AAAA',
      initializationVector: Buffer.alloc(12).toString('base64'),
      authenticationTag: Buffer.alloc(16).toString('base64'),
    };
    expect(code(() => parseDecryptRequest(dec))).toBeUndefined();
    expect(code(() => parseDecryptRequest({ ...dec, initializationVector: Buffer.alloc(16).toString('base64') }))).toBeUndefined();
    expect(code(() => parseDecryptRequest({ ...dec, initializationVector: Buffer.alloc(8).toString('base64') }))).toBe(
      'InvalidCiphertextException',
    );
    expect(code(() => parseDecryptRequest({ ...dec, authenticationTag: Buffer.alloc(12).toString('base64') }))).toBe(
      'InvalidCiphertextException',
    );
    expect(code(() => parseDecryptRequest({ ...dec, ciphertextMetadata: Buffer.alloc(21).toString('base64') }))).toBe(
      'UnsupportedOperationException',
    );
    expect(code(() => parseDecryptRequest({ ...dec, authenticationTag: undefined }))).toBe('ValidationException');
    expect(code(() => parseMetadataRequest({ requestMetadata: { kmsRequestId: 'x' } }, 'GetHealthStatus'))).toBe('ValidationException');
  });
});

describe('XKS: health', () => {
  it('answers every field of "GetHealthStatus"', () => {
    const a = healthAnswer();
    expect(a.xksProxyFleetSize).toBeGreaterThan(0);
    expect(a.ekmFleetDetails).toHaveLength(1);
    expect(a.ekmFleetDetails[0]).toMatchObject({ healthStatus: 'ACTIVE' });
    for (const f of ['xksProxyVendor', 'xksProxyModel', 'ekmVendor'] as const) expect(a[f]).toMatch(/\S/);
  });
});
