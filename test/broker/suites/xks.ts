/**
 * The broker as an AWS KMS external key store proxy (docs/xks.md), driven over HTTPS as KMS
 * would, each request signed by an independent SigV4 signer (the AWS SDK's, and curl's
 * --aws-sigv4): every operation, every error the broker can raise, key usages, credential
 * rotation overlap, the kill switch (on two brokers sharing a database where the store allows),
 * policy denials, and the audit records.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { makeTenant, type Harness } from '../helpers.js';
import { curlCall, sendHttps, smithyHeaders, xksCall, type XksCredential } from '../xks/signer.js';
import { exportLog } from './audit-log.js';
import { brokerCli, harnessEnv } from '../broker-cli.js';

const cli = (h: Harness, token: string, args: string[]) => brokerCli(harnessEnv(h, token), args);

const ALICE = 'arn:aws:iam::123456789012:user/Alice';
const BOB = 'arn:aws:iam::123456789012:user/Bob';
const KMS_KEY = 'arn:aws:kms:us-east-2:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';

let seq = 0;
const rid = () => `4112f4d6-db54-4af4-ae30-${String(++seq).padStart(12, '0')}`;
const meta = (op: string, principal = ALICE) => ({ awsPrincipalArn: principal, kmsKeyArn: KMS_KEY, kmsOperation: op, kmsRequestId: rid() });
const b64 = (s: string | Uint8Array) => Buffer.from(s).toString('base64');

export interface XksSecond {
  /** Another broker on the same database (its own process state, no shared cache). */
  url: string;
  close(): Promise<void>;
}

export function xksSuite(get: () => Harness, opts: { second?: (h: Harness) => Promise<XksSecond> } = {}): void {
  describe('XKS proxy', () => {
    let h: Harness;
    let t: Awaited<ReturnType<typeof makeTenant>>;
    let store: { keystoreId: string; uriPath: string; accessKeyId: string; secretAccessKey: string };
    let cred: XksCredential;
    let keyId: string;
    let base: string;

    const call = (path: string, body: unknown, c: XksCredential = cred, o: { region?: string; date?: Date } = {}) =>
      xksCall(h.ca, `${base}${path}`, body, c, o);
    const encryptBody = (plaintext = 'Hello World!', extra: Record<string, unknown> = {}) => ({
      requestMetadata: meta('Encrypt'),
      plaintext: b64(plaintext),
      encryptionAlgorithm: 'AES_GCM',
      ...extra,
    });
    const policy = (name: string, doc: Record<string, unknown>) =>
      h.client.call('PUT', `/v1/policies/${name}`, { token: t.admin, body: doc });

    beforeAll(async () => {
      h = get();
      t = await makeTenant(h);
      const made = await h.client.call('POST', '/v1/xks/keystores', { token: t.admin, body: { name: 'kms-prod' } });
      expect(made.status).toBe(201);
      store = made.body;
      cred = { accessKeyId: store.accessKeyId, secretAccessKey: store.secretAccessKey };
      base = `${h.url}${store.uriPath}`;
      const k = await h.client.call('POST', '/v1/keys', {
        token: t.admin,
        body: { name: 'xks-1', type: 'aes256', usage: ['ENCRYPT', 'DECRYPT'] },
      });
      expect(k.status).toBe(201);
      keyId = k.body.keyId;
      const p = await policy('xks-alice', {
        keys: [keyId],
        xks: { keystores: [store.keystoreId] },
        rules: { claim: 'xks.awsPrincipalArn', equals: ALICE },
        approval: { mode: 'auto' },
      });
      expect(p.status, JSON.stringify(p.body)).toBe(200);
    });

    it('makes a keystore with the values CreateCustomKeyStore takes, shown once', async () => {
      expect(store.uriPath).toMatch(/^\/[A-Za-z0-9/_-]{1,127}$/);
      expect(store.uriPath.endsWith('/kms/xks/v1')).toBe(true);
      expect(store.uriPath.length).toBeLessThanOrEqual(128);
      expect(store.accessKeyId).toMatch(/^[A-Z2-7]{20,30}$/);
      expect(store.secretAccessKey).toMatch(/^[A-Za-z0-9/+=]{43,64}$/);
      const list = await h.client.call('GET', '/v1/xks/keystores', { token: t.admin });
      expect(list.body.keystores).toEqual([
        expect.objectContaining({
          keystoreId: store.keystoreId,
          name: 'kms-prod',
          uriPath: store.uriPath,
          enabled: true,
          credentials: [expect.objectContaining({ accessKeyId: store.accessKeyId, retiredAt: null })],
        }),
      ]);
      expect(JSON.stringify(list.body)).not.toContain(store.secretAccessKey);
      expect((await h.client.call('POST', '/v1/xks/keystores', { token: t.admin, body: { name: 'kms-prod' } })).status).toBe(409);
      // Admins only; another tenant sees nothing of it.
      expect((await h.client.call('POST', '/v1/xks/keystores', { token: t.auditor, body: { name: 'x' } })).status).toBe(403);
      const other = await makeTenant(h);
      expect((await h.client.call('GET', '/v1/xks/keystores', { token: other.admin })).body.keystores).toEqual([]);
      for (const path of ['credentials', 'disable'])
        expect((await h.client.call('POST', `/v1/xks/keystores/${store.keystoreId}/${path}`, { token: other.admin })).status).toBe(404);
    });

    it('makes aes256 keys with their usage; they are neither released, rotated nor given a public key', async () => {
      const none = await h.client.call('POST', '/v1/keys', { token: t.admin, body: { name: 'xks-none', type: 'aes256', usage: [] } });
      expect(none.body).toEqual({ keyId: expect.stringMatching(/^key_/), version: 1, type: 'aes256', usage: [] });
      for (const usage of [['SIGN'], ['ENCRYPT', 'ENCRYPT']])
        expect((await h.client.call('POST', '/v1/keys', { token: t.admin, body: { name: 'bad', type: 'aes256', usage } })).status).toBe(
          400,
        );
      expect((await h.client.call('POST', '/v1/keys', { token: t.admin, body: { name: 'bad', type: 'aes256' } })).status).toBe(400);
      expect((await h.client.call('POST', '/v1/keys', { token: t.admin, body: { name: 'bad', usage: ['ENCRYPT'] } })).status).toBe(400);
      const listed = (await h.client.call('GET', '/v1/keys', { token: t.admin })).body.keys.find(
        (k: { keyId: string }) => k.keyId === keyId,
      );
      expect(listed).toMatchObject({ type: 'aes256', usage: ['ENCRYPT', 'DECRYPT'], disabled: false });
      expect((await h.client.call('POST', `/v1/keys/${keyId}/rotate`, { token: t.admin })).body.error.code).toBe('ERR_UNSUPPORTED');
      expect((await h.client.call('GET', `/v1/keys/${keyId}/public`, { token: t.admin })).body.error.code).toBe('ERR_UNSUPPORTED');
    });

    it('answers GetHealthStatus (curl --aws-sigv4, Appendix D) and 405 to GET', async () => {
      const caFile = join(h.dir, 'data', 'ca.pem');
      const r = await curlCall(
        caFile,
        `${base}/health`,
        { requestMetadata: { kmsOperation: 'KmsHealthCheck', kmsRequestId: rid() } },
        cred,
        'eu-west-1',
      );
      expect(r.status).toBe(200);
      expect(r.body).toMatchObject({
        xksProxyFleetSize: 1,
        xksProxyVendor: expect.any(String),
        xksProxyModel: expect.any(String),
        ekmVendor: expect.any(String),
      });
      expect(r.body.ekmFleetDetails).toEqual([expect.objectContaining({ healthStatus: 'ACTIVE' })]);
      for (const path of ['/health', `/keys/${keyId}/metadata`, `/keys/${keyId}/encrypt`, `/keys/${keyId}/decrypt`]) {
        const g = await sendHttps(h.ca, `${base}${path}`, 'GET', {});
        expect(g.status).toBe(405);
        expect(g.headers.allow).toBe('POST');
      }
    });

    it('GetKeyMetadata, Encrypt and Decrypt round trip, with AAD and the CDIV of Appendix C', async () => {
      const m = await call(`/keys/${keyId}/metadata`, { requestMetadata: { ...meta('CreateKey'), kmsKeyArn: undefined } });
      expect(m.status).toBe(200);
      expect(m.body).toEqual({ keySpec: 'AES_256', keyUsage: ['ENCRYPT', 'DECRYPT'], keyStatus: 'ENABLED' });

      const aad = b64('project=nile,department=marketing');
      const e = await call(
        `/keys/${keyId}/encrypt`,
        encryptBody('a data key of 32 bytes..........', {
          additionalAuthenticatedData: aad,
          ciphertextDataIntegrityValueAlgorithm: 'SHA_256',
        }),
      );
      expect(e.status, JSON.stringify(e.body)).toBe(200);
      const fromB64 = (s: string) => Buffer.from(s, 'base64');
      expect(fromB64(e.body.ciphertext).length).toBe(32);
      expect(fromB64(e.body.initializationVector).length).toBe(12);
      expect(fromB64(e.body.authenticationTag).length).toBe(16);
      const cdiv = createHash('sha256')
        .update(
          Buffer.concat([
            fromB64(aad),
            fromB64(e.body.initializationVector),
            fromB64(e.body.ciphertext),
            fromB64(e.body.authenticationTag),
          ]),
        )
        .digest('base64');
      expect(e.body.ciphertextDataIntegrityValue).toBe(cdiv);

      const dec = (extra: Record<string, unknown> = {}) =>
        call(`/keys/${keyId}/decrypt`, {
          requestMetadata: meta('Decrypt'),
          encryptionAlgorithm: 'AES_GCM',
          ciphertext: e.body.ciphertext,
          initializationVector: e.body.initializationVector,
          authenticationTag: e.body.authenticationTag,
          additionalAuthenticatedData: aad,
          ...extra,
        });
      const d = await dec();
      expect(d.status).toBe(200);
      expect(fromB64(d.body.plaintext).toString()).toBe('a data key of 32 bytes..........');
      // Another AAD, none, metadata passed instead of AAD, a flipped tag: InvalidCiphertextException.
      const bad = Buffer.from(fromB64(e.body.authenticationTag));
      bad[3]! ^= 0x10;
      for (const extra of [
        { additionalAuthenticatedData: b64('project=nile') },
        { additionalAuthenticatedData: undefined },
        { additionalAuthenticatedData: undefined, ciphertextMetadata: aad.slice(0, 20) },
        { authenticationTag: bad.toString('base64') },
      ]) {
        const r = await dec(extra);
        expect([r.status, r.body.errorName]).toEqual([400, 'InvalidCiphertextException']);
      }
      // The same by curl: Encrypt without AAD, then Decrypt.
      const caFile = join(h.dir, 'data', 'ca.pem');
      const ce = await curlCall(caFile, `${base}/keys/${keyId}/encrypt`, encryptBody('curl'), cred);
      expect(ce.status).toBe(200);
      const cd = await curlCall(
        caFile,
        `${base}/keys/${keyId}/decrypt`,
        {
          requestMetadata: meta('Decrypt'),
          encryptionAlgorithm: 'AES_GCM',
          ciphertext: ce.body.ciphertext,
          initializationVector: ce.body.initializationVector,
          authenticationTag: ce.body.authenticationTag,
        },
        cred,
      );
      expect(Buffer.from(cd.body.plaintext, 'base64').toString()).toBe('curl');
    });

    it('answers each error of the spec where the broker raises it', async () => {
      const expectError = async (p: Promise<{ status: number; body: any }>, status: number, name: string) => {
        const r = await p;
        expect([r.status, r.body?.errorName], JSON.stringify(r.body)).toEqual([status, name]);
        expect(Object.keys(r.body).sort()).toEqual(['errorMessage', 'errorName']);
        expect(r.body.errorMessage).toMatch(/^[\x20-\x7e]{0,511}$/);
      };
      // ValidationException: bad JSON shapes, missing metadata, bad Base64; a bad content type.
      await expectError(call(`/keys/${keyId}/encrypt`, encryptBody('x', { plaintext: 'not base64' })), 400, 'ValidationException');
      await expectError(
        call(`/keys/${keyId}/encrypt`, { ...encryptBody(), requestMetadata: { kmsOperation: 'Encrypt' } }),
        400,
        'ValidationException',
      );
      await expectError(call(`/keys/${keyId}/metadata`, [1, 2]), 400, 'ValidationException');
      await expectError(
        call(`/keys/${keyId}/encrypt`, encryptBody('x', { requestMetadata: { ...meta('Encrypt'), awsPrincipalArn: 'a\u0000b' } })),
        400,
        'ValidationException',
      );
      // UnsupportedOperationException: another algorithm, data beyond the proxy's limit.
      await expectError(
        call(`/keys/${keyId}/encrypt`, encryptBody('x', { encryptionAlgorithm: 'AES_CBC' })),
        501,
        'UnsupportedOperationException',
      );
      await expectError(call(`/keys/${keyId}/encrypt`, encryptBody('x'.repeat(9000))), 501, 'UnsupportedOperationException');
      // KeyNotFoundException: no such key, another tenant's, an x25519 key, a destroyed one.
      await expectError(
        call('/keys/key_00000000-0000-4000-8000-000000000000/metadata', { requestMetadata: meta('CreateKey') }),
        404,
        'KeyNotFoundException',
      );
      const other = await makeTenant(h);
      const theirs = await h.client.call('POST', '/v1/keys', {
        token: other.admin,
        body: { name: 'theirs', type: 'aes256', usage: ['ENCRYPT'] },
      });
      await expectError(call(`/keys/${theirs.body.keyId}/encrypt`, encryptBody()), 404, 'KeyNotFoundException');
      const x25519 = await h.client.call('POST', '/v1/keys', { token: t.admin, body: { name: 'release-key' } });
      await expectError(call(`/keys/${x25519.body.keyId}/encrypt`, encryptBody()), 404, 'KeyNotFoundException');
      await expectError(call(`/keys/${'k'.repeat(120)}/encrypt`, encryptBody()), 404, 'KeyNotFoundException');
      await expectError(call('/keys/bad!id/encrypt', encryptBody()), 400, 'ValidationException');
      // InvalidUriPathException: another path, an unknown keystore.
      await expectError(call(`/keys/${keyId}/sign`, encryptBody()), 404, 'InvalidUriPathException');
      await expectError(
        xksCall(h.ca, `${h.url}/xks/${'0'.repeat(32)}/kms/xks/v1/health`, { requestMetadata: meta('KmsHealthCheck') }, cred),
        404,
        'InvalidUriPathException',
      );
      // AuthenticationFailedException: a wrong secret, an old date, another service, unsigned.
      await expectError(
        call(
          '/health',
          { requestMetadata: meta('KmsHealthCheck') },
          { ...cred, secretAccessKey: `${cred.secretAccessKey.slice(0, -1)}${cred.secretAccessKey.endsWith('A') ? 'B' : 'A'}` },
        ),
        401,
        'AuthenticationFailedException',
      );
      await expectError(
        call('/health', { requestMetadata: meta('KmsHealthCheck') }, cred, { date: new Date(Date.now() - 6 * 60_000) }),
        401,
        'AuthenticationFailedException',
      );
      await expectError(
        sendHttps(h.ca, `${base}/health`, 'POST', { 'content-type': 'application/json' }, '{}'),
        401,
        'AuthenticationFailedException',
      );
      const wrongService = await smithyHeaders({ url: `${base}/health`, body: '{}', credential: cred, service: 'kms' });
      await expectError(sendHttps(h.ca, `${base}/health`, 'POST', wrongService, '{}'), 401, 'AuthenticationFailedException');
      // A signed body changed in flight.
      const signed = await smithyHeaders({
        url: `${base}/keys/${keyId}/encrypt`,
        body: JSON.stringify(encryptBody('a')),
        credential: cred,
      });
      await expectError(
        sendHttps(h.ca, `${base}/keys/${keyId}/encrypt`, 'POST', signed, JSON.stringify(encryptBody('b'))),
        401,
        'AuthenticationFailedException',
      );
      // Another keystore's valid credential does not open this one (nor this one's that one).
      const second = (await h.client.call('POST', '/v1/xks/keystores', { token: t.admin, body: { name: 'kms-other' } })).body;
      await expectError(
        call(
          '/health',
          { requestMetadata: meta('KmsHealthCheck') },
          { accessKeyId: second.accessKeyId, secretAccessKey: second.secretAccessKey },
        ),
        401,
        'AuthenticationFailedException',
      );
      await expectError(
        xksCall(h.ca, `${h.url}${second.uriPath}/health`, { requestMetadata: meta('KmsHealthCheck') }, cred),
        401,
        'AuthenticationFailedException',
      );
    });

    it('calls that arrive together (read in one batch) each get their own answer', async () => {
      const bad = { ...cred, secretAccessKey: 'B'.repeat(44) };
      const calls: [Promise<{ status: number; body: any }>, number, string | undefined][] = [];
      for (let i = 0; i < 12; i++) calls.push([call(`/keys/${keyId}/encrypt`, encryptBody(`data ${i}`)), 200, undefined]);
      for (let i = 0; i < 3; i++) calls.push([call(`/keys/${keyId}/encrypt`, encryptBody(), bad), 401, 'AuthenticationFailedException']);
      for (let i = 0; i < 3; i++)
        calls.push([call('/keys/key_00000000-0000-4000-8000-000000000001/encrypt', encryptBody()), 404, 'KeyNotFoundException']);
      for (let i = 0; i < 3; i++)
        calls.push([
          xksCall(h.ca, `${h.url}/xks/${'f'.repeat(32)}/kms/xks/v1/health`, { requestMetadata: meta('KmsHealthCheck') }, cred),
          404,
          'InvalidUriPathException',
        ]);
      for (let i = 0; i < 3; i++)
        calls.push([
          call(`/keys/${keyId}/encrypt`, { ...encryptBody(), requestMetadata: meta('Encrypt', BOB) }),
          403,
          'AccessDeniedException',
        ]);
      const answers = await Promise.all(calls.map(([p]) => p));
      expect(answers.map((a) => [a.status, a.body.errorName])).toEqual(calls.map(([, status, name]) => [status, name]));
    });

    it('enforces key usage (InvalidKeyUsageException) before anything is encrypted', async () => {
      const only = await h.client.call('POST', '/v1/keys', {
        token: t.admin,
        body: { name: 'enc-only', type: 'aes256', usage: ['ENCRYPT'] },
      });
      const none = await h.client.call('POST', '/v1/keys', { token: t.admin, body: { name: 'no-usage', type: 'aes256', usage: [] } });
      const p = await policy('xks-usage', {
        keys: [only.body.keyId, none.body.keyId],
        xks: { keystores: [store.keystoreId] },
        rules: { claim: 'xks.kmsRequestId', exists: true },
        approval: { mode: 'auto' },
      });
      expect(p.status).toBe(200);
      const e = await call(`/keys/${only.body.keyId}/encrypt`, encryptBody());
      expect(e.status).toBe(200);
      const d = await call(`/keys/${only.body.keyId}/decrypt`, {
        requestMetadata: meta('Decrypt'),
        encryptionAlgorithm: 'AES_GCM',
        ciphertext: e.body.ciphertext,
        initializationVector: e.body.initializationVector,
        authenticationTag: e.body.authenticationTag,
      });
      expect([d.status, d.body.errorName]).toEqual([400, 'InvalidKeyUsageException']);
      const n = await call(`/keys/${none.body.keyId}/encrypt`, encryptBody());
      expect([n.status, n.body.errorName]).toEqual([400, 'InvalidKeyUsageException']);
      expect((await call(`/keys/${none.body.keyId}/metadata`, { requestMetadata: meta('DescribeKey') })).body).toEqual({
        keySpec: 'AES_256',
        keyUsage: [],
        keyStatus: 'ENABLED',
      });
    });

    it('runs every call but health through the policies: no policy or a failing rule is AccessDeniedException, without the trace', async () => {
      const loose = await h.client.call('POST', '/v1/keys', {
        token: t.admin,
        body: { name: 'no-policy', type: 'aes256', usage: ['ENCRYPT', 'DECRYPT'] },
      });
      const r = await call(`/keys/${loose.body.keyId}/encrypt`, encryptBody());
      expect([r.status, r.body.errorName]).toEqual([403, 'AccessDeniedException']);
      const m = await call(`/keys/${loose.body.keyId}/metadata`, { requestMetadata: meta('CreateKey') });
      expect([m.status, m.body.errorName]).toEqual([403, 'AccessDeniedException']);
      const bob = await call(`/keys/${keyId}/encrypt`, { ...encryptBody(), requestMetadata: meta('Encrypt', BOB) });
      expect([bob.status, bob.body.errorName]).toEqual([403, 'AccessDeniedException']);
      expect(JSON.stringify(bob.body)).not.toContain('awsPrincipalArn');
      expect(JSON.stringify(bob.body)).not.toContain('xks-alice');
      // A policy on the claims of requestMetadata: only via EBS, from one VPC endpoint.
      const vk = await h.client.call('POST', '/v1/keys', { token: t.admin, body: { name: 'vpc-key', type: 'aes256', usage: ['ENCRYPT'] } });
      await policy('xks-vpce', {
        keys: [vk.body.keyId],
        xks: { keystores: [store.keystoreId] },
        rules: {
          allOf: [
            { claim: 'xks.kmsViaService', equals: 'ebs' },
            { claim: 'xks.awsSourceVpce', in: ['vpce-1a2b3c'] },
            { claim: 'xks.operation', equals: 'Encrypt' },
          ],
        },
        approval: { mode: 'auto' },
      });
      const viaEbs = { ...meta('Encrypt'), kmsViaService: 'ebs', awsSourceVpc: 'vpc-1', awsSourceVpce: 'vpce-1a2b3c' };
      expect((await call(`/keys/${vk.body.keyId}/encrypt`, { ...encryptBody(), requestMetadata: viaEbs })).status).toBe(200);
      const viaS3 = await call(`/keys/${vk.body.keyId}/encrypt`, { ...encryptBody(), requestMetadata: { ...viaEbs, kmsViaService: 's3' } });
      expect(viaS3.body.errorName).toBe('AccessDeniedException');
      // An agent policy does not open an XKS key, an XKS policy binds no device, and only auto approval is valid.
      const manual = await policy('xks-manual', {
        keys: [keyId],
        xks: { keystores: [store.keystoreId] },
        rules: { claim: 'xks.kmsRequestId', exists: true },
        approval: { mode: 'manual' },
      });
      expect([manual.status, manual.body.error.code]).toEqual([400, 'ERR_POLICY_INVALID']);
      expect(manual.body.error.message).toContain('approval.mode');
      const both = await policy('xks-both', {
        keys: [keyId],
        xks: { keystores: [store.keystoreId] },
        devices: { groups: ['g'] },
        rules: { claim: 'xks.kmsRequestId', exists: true },
        approval: { mode: 'auto' },
      });
      expect(both.body.error.code).toBe('ERR_POLICY_INVALID');
      const theirs = await policy('xks-theirs', {
        keys: [keyId],
        xks: { keystores: ['xks_00000000-0000-4000-8000-000000000000'] },
        rules: { claim: 'xks.kmsRequestId', exists: true },
        approval: { mode: 'auto' },
      });
      expect(theirs.body.error.code).toBe('ERR_POLICY_INVALID');
      const agentPolicy = await h.client.call('POST', '/v1/keys', {
        token: t.admin,
        body: { name: 'agent-bound', type: 'aes256', usage: ['ENCRYPT'] },
      });
      await policy('agent-only', {
        keys: [agentPolicy.body.keyId],
        devices: { groups: ['g'] },
        rules: { claim: 'device.id', exists: true },
        approval: { mode: 'auto' },
      });
      expect((await call(`/keys/${agentPolicy.body.keyId}/encrypt`, encryptBody())).body.errorName).toBe('AccessDeniedException');
    });

    it('rotates credentials with overlap: both verify until the old one is retired', async () => {
      const made = (await h.client.call('POST', '/v1/xks/keystores', { token: t.admin, body: { name: 'kms-rotating' } })).body;
      const url = `${h.url}${made.uriPath}/health`;
      const health = { requestMetadata: { kmsOperation: 'KmsHealthCheck', kmsRequestId: rid() } };
      const first = { accessKeyId: made.accessKeyId, secretAccessKey: made.secretAccessKey };
      const rotated = await h.client.call('POST', `/v1/xks/keystores/${made.keystoreId}/credentials`, { token: t.admin });
      expect(rotated.status).toBe(201);
      expect(rotated.body).toMatchObject({ keystoreId: made.keystoreId, uriPath: made.uriPath });
      const second = { accessKeyId: rotated.body.accessKeyId, secretAccessKey: rotated.body.secretAccessKey };
      expect(second.accessKeyId).not.toBe(first.accessKeyId);
      expect((await xksCall(h.ca, url, health, first)).status).toBe(200);
      expect((await xksCall(h.ca, url, health, second)).status).toBe(200);
      // Retiring the old one ("SigV4 credentials rotation" step 4): it stops at once; the last live one cannot go.
      const retired = await h.client.call('POST', `/v1/xks/keystores/${made.keystoreId}/credentials/${first.accessKeyId}/retire`, {
        token: t.admin,
      });
      expect(retired.status).toBe(200);
      expect((await xksCall(h.ca, url, health, first)).body.errorName).toBe('AuthenticationFailedException');
      expect((await xksCall(h.ca, url, health, second)).status).toBe(200);
      expect(
        (await h.client.call('POST', `/v1/xks/keystores/${made.keystoreId}/credentials/${second.accessKeyId}/retire`, { token: t.admin }))
          .status,
      ).toBe(409);
      // At most two live: a third rotation retires the oldest live one.
      const third = (await h.client.call('POST', `/v1/xks/keystores/${made.keystoreId}/credentials`, { token: t.admin })).body;
      const fourth = (await h.client.call('POST', `/v1/xks/keystores/${made.keystoreId}/credentials`, { token: t.admin })).body;
      expect((await xksCall(h.ca, url, health, second)).body.errorName).toBe('AuthenticationFailedException');
      for (const c of [third, fourth])
        expect((await xksCall(h.ca, url, health, { accessKeyId: c.accessKeyId, secretAccessKey: c.secretAccessKey })).status).toBe(200);
    });

    it('the kill switch: a disabled key or keystore is InvalidStateException at the next call', async () => {
      const k = (
        await h.client.call('POST', '/v1/keys', {
          token: t.admin,
          body: { name: 'killable', type: 'aes256', usage: ['ENCRYPT', 'DECRYPT'] },
        })
      ).body.keyId;
      const made = (await h.client.call('POST', '/v1/xks/keystores', { token: t.admin, body: { name: 'kms-kill' } })).body;
      const c = { accessKeyId: made.accessKeyId, secretAccessKey: made.secretAccessKey };
      await policy('xks-kill', {
        keys: [k],
        xks: { keystores: [made.keystoreId] },
        rules: { claim: 'xks.kmsRequestId', exists: true },
        approval: { mode: 'auto' },
      });
      const brokers: { url: string; close?: () => Promise<void> }[] = [{ url: h.url }];
      if (opts.second) brokers.push(await opts.second(h));
      try {
        const enc = (url: string) => xksCall(h.ca, `${url}${made.uriPath}/keys/${k}/encrypt`, encryptBody(), c);
        const md = (url: string) => xksCall(h.ca, `${url}${made.uriPath}/keys/${k}/metadata`, { requestMetadata: meta('DescribeKey') }, c);
        const health = (url: string) => xksCall(h.ca, `${url}${made.uriPath}/health`, { requestMetadata: meta('KmsHealthCheck') }, c);
        for (const b of brokers) expect((await enc(b.url)).status).toBe(200);
        expect((await h.client.call('POST', `/v1/keys/${k}/disable`, { token: t.admin })).body).toMatchObject({ keyId: k, disabled: true });
        for (const b of brokers) {
          expect((await enc(b.url)).body.errorName).toBe('InvalidStateException');
          expect((await md(b.url)).body).toMatchObject({ keyStatus: 'DISABLED' });
        }
        expect((await h.client.call('POST', `/v1/keys/${k}/enable`, { token: t.admin })).status).toBe(200);
        for (const b of brokers) expect((await enc(b.url)).status).toBe(200);
        const off = await h.client.call('POST', `/v1/xks/keystores/${made.keystoreId}/disable`, { token: t.admin });
        expect(off.body).toMatchObject({ enabled: false });
        for (const b of brokers) {
          expect((await enc(b.url)).body.errorName).toBe('InvalidStateException');
          expect((await health(b.url)).body.errorName).toBe('InvalidStateException');
        }
        await h.client.call('POST', `/v1/xks/keystores/${made.keystoreId}/enable`, { token: t.admin });
        for (const b of brokers) expect((await health(b.url)).status).toBe(200);
        // Only an aes256 key has the switch; another tenant cannot throw it.
        const x = (await h.client.call('POST', '/v1/keys', { token: t.admin, body: { name: 'release-2' } })).body.keyId;
        expect((await h.client.call('POST', `/v1/keys/${x}/disable`, { token: t.admin })).body.error.code).toBe('ERR_UNSUPPORTED');
        const other = await makeTenant(h);
        expect((await h.client.call('POST', `/v1/keys/${k}/disable`, { token: other.admin })).status).toBe(404);
      } finally {
        for (const b of brokers) await b.close?.();
      }
    });

    it('the CLI: keystore create (--json and for people), list, rotate, retire, disable; aes256 keys', async () => {
      const made = await cli(h, t.admin, ['xks', 'keystore', 'create', 'kms-cli', '--json']);
      expect(made.code, made.stderr).toBe(0);
      const a = JSON.parse(made.stdout);
      expect(Object.keys(a).sort()).toEqual(['accessKeyId', 'keystoreId', 'name', 'secretAccessKey', 'uriPath']);
      const people = await cli(h, t.admin, ['xks', 'keystore', 'rotate', a.keystoreId]);
      expect(people.code, people.stderr).toBe(0);
      expect(people.stdout).toContain('XksProxyUriPath');
      expect(people.stdout).toContain(a.uriPath);
      expect(people.stdout).toContain('shown only once');
      const second = people.stdout.match(/AccessKeyId:\s+([A-Z2-7]+)/)![1]!;
      const list = await cli(h, t.admin, ['xks', 'keystore', 'list']);
      expect(list.stdout).toContain(a.keystoreId);
      expect(list.stdout).toContain(second);
      expect(list.stdout).not.toContain(a.secretAccessKey);
      expect((await cli(h, t.admin, ['xks', 'keystore', 'retire', a.keystoreId, a.accessKeyId])).code).toBe(0);
      const url = `${h.url}${a.uriPath}/health`;
      expect((await xksCall(h.ca, url, { requestMetadata: meta('KmsHealthCheck') }, a)).body.errorName).toBe(
        'AuthenticationFailedException',
      );
      expect((await cli(h, t.admin, ['xks', 'keystore', 'disable', a.keystoreId, '--json'])).stdout).toContain('"enabled":false');
      const k = await cli(h, t.admin, ['key', 'create', 'cli-aes', '--type', 'aes256', '--usage', 'ENCRYPT,DECRYPT', '--json']);
      expect(JSON.parse(k.stdout)).toMatchObject({ type: 'aes256', usage: ['ENCRYPT', 'DECRYPT'] });
      const refused = await cli(h, t.auditor, ['xks', 'keystore', 'create', 'nope']);
      expect(refused.code).not.toBe(0);
      expect(refused.stderr).toContain('ERR_FORBIDDEN');
    }, 60_000);

    it('records every call, allowed or refused, in the tenant log with its kmsRequestId', async () => {
      const ok = meta('GenerateDataKey');
      expect((await call(`/keys/${keyId}/encrypt`, { ...encryptBody(), requestMetadata: { ...ok, kmsViaService: 's3' } })).status).toBe(
        200,
      );
      const denied = meta('Encrypt', BOB);
      expect((await call(`/keys/${keyId}/encrypt`, { ...encryptBody(), requestMetadata: denied })).status).toBe(403);
      await call('/health', { requestMetadata: meta('KmsHealthCheck') }, { ...cred, secretAccessKey: 'A'.repeat(44) });
      const { records } = await exportLog(h, t.auditor);
      const byRequest = (id: string) => records.filter((r) => r.requestId === id);
      expect(byRequest(ok.kmsRequestId)).toEqual([
        expect.objectContaining({
          actor: store.keystoreId,
          action: 'xks.encrypt',
          target: keyId,
          outcome: 'success',
          reasons: expect.objectContaining({
            kmsOperation: 'GenerateDataKey',
            awsPrincipalArn: ALICE,
            kmsViaService: 's3',
            accessKeyId: cred.accessKeyId,
            policy: 'xks-alice',
          }),
        }),
      ]);
      const [refused] = byRequest(denied.kmsRequestId);
      expect(refused).toMatchObject({
        action: 'xks.encrypt',
        outcome: 'denied',
        reasons: { error: 'AccessDeniedException', awsPrincipalArn: BOB },
      });
      expect(refused.reasons.trace).toEqual([expect.objectContaining({ policy: 'xks-alice', claim: 'xks.awsPrincipalArn', actual: BOB })]);
      const authFailures = records.filter((r) => r.action === 'xks.health' && r.reasons?.error === 'AuthenticationFailedException');
      expect(authFailures.length).toBeGreaterThan(0);
      expect(JSON.stringify(records)).not.toContain(b64('Hello World!'));
      expect(records.filter((r) => r.action === 'xks.keystore.create').length).toBeGreaterThan(0);
      expect(records.some((r) => r.action === 'key.disable')).toBe(true);
    });
  });
}
