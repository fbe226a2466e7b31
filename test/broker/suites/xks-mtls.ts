/**
 * Optional mutual TLS per XKS keystore (docs/xks.md "Mutual TLS"; xks_proxy_api_spec.md
 * "Authentication"), as an attacker would try it: certificates made by the openssl CLI, calls
 * signed by curl's --aws-sigv4 with --cert/--key (and Node's https with the SDK's signer).
 * Every refusal closes the connection without an answer and is recorded.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { execFile, spawn, spawnSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { X509Certificate } from 'node:crypto';
import { createInterface } from 'node:readline';
import { Agent, request } from 'node:https';
import type { TLSSocket } from 'node:tls';
import { join } from 'node:path';
import { makeTenant, type Harness } from '../helpers.js';
import { curlXks, smithyHeaders, type XksCredential } from '../xks/signer.js';
import { readAnswer } from '../read-answer.js';
import { exportLog } from './audit-log.js';
import { KMS_CN, makeMtlsCerts, type MtlsCerts } from '../xks/certs.js';
import { brokerCli, harnessEnv } from '../broker-cli.js';
import { CLI } from '../../entry.js';

interface Outcome {
  /** The HTTP status, or undefined when the connection closed without an answer. */
  status?: number;
  body?: any;
  /** curl's exit code (0, or 52 / 56 / 35 when the server closed the connection). */
  code?: number;
}

/** A call by curl: SigV4 by --aws-sigv4, the client certificate by --cert/--key. */
const curlMtls = (caFile: string, url: string, body: unknown, c: XksCredential, cert?: { certFile: string; keyFile: string }) =>
  curlXks(caFile, url, body, c, { cert });

/** A call by Node's https with the SDK's signer; a closed connection resolves without a status. */
async function nodeMtls(ca: string, url: string, body: unknown, c: XksCredential, cert?: { cert: string; key: string }): Promise<Outcome> {
  const text = JSON.stringify(body);
  const headers = await smithyHeaders({ url, body: text, credential: c });
  return new Promise((resolve) => {
    const req = request(
      url,
      {
        method: 'POST',
        ca,
        ...(cert ? { cert: cert.cert, key: cert.key } : {}),
        headers: { ...headers, 'content-length': String(Buffer.byteLength(text)) },
        agent: false,
      },
      (res) =>
        void readAnswer(res).then(
          (a) => resolve({ status: a.status, body: a.body }),
          () => resolve({}),
        ),
    );
    req.on('error', () => resolve({}));
    req.end(text);
  });
}

let seq = 0;
const rid = () => `7a1b2c3d-0000-4000-8000-${String(++seq).padStart(12, '0')}`;
const ALICE = 'arn:aws:iam::123456789012:user/Alice';
const KMS_KEY = 'arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';
const health = () => ({ requestMetadata: { kmsOperation: 'KmsHealthCheck', kmsRequestId: rid() } });
const encryptBody = () => ({
  requestMetadata: { awsPrincipalArn: ALICE, kmsKeyArn: KMS_KEY, kmsOperation: 'Encrypt', kmsRequestId: rid() },
  plaintext: Buffer.from('data key').toString('base64'),
  encryptionAlgorithm: 'AES_GCM',
});

const cli = (h: Harness, token: string, args: string[]) => brokerCli(harnessEnv(h, token), args);

/** `broker serve --xks-listen` as a child process: the ready line names both listeners. */
async function serveWithXksListener(dir: string): Promise<void> {
  const data = join(dir, 'serve-xks');
  const init = spawnSync(process.execPath, [...CLI, 'broker', 'init', '--data', data, '--json'], { encoding: 'utf8' });
  expect(init.status, init.stderr).toBe(0);
  const ca = await readFile(join(data, 'ca.pem'), 'utf8');
  const bad = spawnSync(process.execPath, [...CLI, 'broker', 'serve', '--data', data, '--xks-listen', 'nowhere'], { encoding: 'utf8' });
  expect(bad.status).not.toBe(0);
  expect(bad.stderr).toContain('--xks-listen takes HOST:PORT');
  const serve = spawn(
    process.execPath,
    [...CLI, 'broker', 'serve', '--data', data, '--listen', '127.0.0.1:0', '--xks-listen', '127.0.0.1:0', '--json'],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  try {
    const line = await new Promise<string>((resolve, reject) => {
      createInterface({ input: serve.stdout! }).once('line', resolve);
      serve.once('exit', (code) => reject(new Error(`serve exited ${code}`)));
    });
    const { url, xksUrl } = JSON.parse(line);
    expect(url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    expect(xksUrl).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    expect(xksUrl).not.toBe(url);
    const get = (u: string) =>
      new Promise<{ status: number; body: any }>((resolve, reject) => {
        const req = request(u, { ca, agent: false }, (res) => void readAnswer(res).then(resolve, reject));
        req.on('error', reject);
        req.end();
      });
    expect((await get(`${url}/v1/health`)).status).toBe(200);
    const there = await get(`${xksUrl}/v1/health`);
    expect([there.status, there.body.error?.code]).toEqual([404, 'ERR_NOT_FOUND']);
    const xks = await get(`${xksUrl}/xks/${'0'.repeat(32)}/kms/xks/v1/health`);
    expect([xks.status, xks.body.errorName]).toEqual([405, 'ValidationException']);
  } finally {
    serve.kill('SIGTERM');
    await new Promise((resolve) => serve.once('exit', resolve));
  }
}

export function xksMtlsSuite(get: () => Harness, opts: { serveCli?: boolean } = {}): void {
  describe('XKS mutual TLS', () => {
    let h: Harness;
    let t: Awaited<ReturnType<typeof makeTenant>>;
    let certs: MtlsCerts;
    let caFile: string;
    let xksUrl: string;
    /** The keystore with mTLS, and one without. */
    let strict: { keystoreId: string; uriPath: string; cred: XksCredential };
    let plain: { keystoreId: string; uriPath: string; cred: XksCredential };
    let keyId: string;

    const keystore = async (name: string) => {
      const r = await h.client.call('POST', '/v1/xks/keystores', { token: t.admin, body: { name } });
      expect(r.status).toBe(201);
      return {
        keystoreId: r.body.keystoreId,
        uriPath: r.body.uriPath,
        cred: { accessKeyId: r.body.accessKeyId, secretAccessKey: r.body.secretAccessKey },
      };
    };
    const setMtls = (id: string, body: unknown, token = t.admin) => h.client.call('PUT', `/v1/xks/keystores/${id}/mtls`, { token, body });

    beforeAll(async () => {
      h = get();
      t = await makeTenant(h);
      certs = await makeMtlsCerts(join(h.dir, `mtls-${Math.random().toString(36).slice(2, 8)}`));
      caFile = join(h.dir, 'data', 'ca.pem');
      xksUrl = h.broker.xksUrl ?? (await h.broker.listenXks({ host: '127.0.0.1', port: 0 }));
      strict = await keystore('kms-mtls');
      plain = await keystore('kms-plain');
      const k = await h.client.call('POST', '/v1/keys', {
        token: t.admin,
        body: { name: 'mtls-key', type: 'aes256', usage: ['ENCRYPT', 'DECRYPT'] },
      });
      keyId = k.body.keyId;
      const p = await h.client.call('PUT', '/v1/policies/xks-mtls', {
        token: t.admin,
        body: {
          keys: [keyId],
          xks: { keystores: [strict.keystoreId, plain.keystoreId] },
          rules: { claim: 'xks.awsPrincipalArn', equals: ALICE },
          approval: { mode: 'auto' },
        },
      });
      expect(p.status, JSON.stringify(p.body)).toBe(200);
    }, 60_000);

    it('sets mTLS (admin only, input checked: 400 in our shape), shows it in the list, audits it', async () => {
      const bundle = `# Test roots\n${certs.root.cert}\n${certs.otherRoot.cert}`;
      const refused: [unknown, string][] = [
        [{ subjectCommonName: KMS_CN, caCertificates: 'not a PEM' }, 'no PEM CERTIFICATE'],
        [{ subjectCommonName: KMS_CN, caCertificates: certs.root.key }, 'PRIVATE KEY'],
        [{ subjectCommonName: KMS_CN, caCertificates: `${certs.root.cert}\n${certs.root.key}` }, 'PRIVATE KEY'],
        [{ subjectCommonName: KMS_CN, caCertificates: certs.leafOnly }, 'not a CA certificate'],
        [{ subjectCommonName: KMS_CN, caCertificates: certs.root.cert.replace(/\n[A-Za-z0-9+/]{8}/, '\nAAAAAAAA') }, 'does not parse'],
        [{ subjectCommonName: KMS_CN, caCertificates: certs.root.cert.replace(/-----END CERTIFICATE-----\s*$/, '') }, 'without its END'],
        [{ subjectCommonName: 'a, b', caCertificates: certs.root.cert }, 'subject common name'],
        [{ subjectCommonName: ' ', caCertificates: certs.root.cert }, 'subject common name'],
        [{ subjectCommonName: 'x'.repeat(65), caCertificates: certs.root.cert }, ''],
        [{ subjectCommonName: '', caCertificates: certs.root.cert }, ''],
        [{ subjectCommonName: KMS_CN }, ''],
        [{ subjectCommonName: KMS_CN, caCertificates: certs.root.cert, extra: 1 }, ''],
      ];
      for (const [body, message] of refused) {
        const r = await setMtls(strict.keystoreId, body);
        expect([r.status, r.body.error?.code], JSON.stringify(body).slice(0, 80)).toEqual([400, 'ERR_ARGUMENT']);
        expect(r.body.error.message).toContain(message);
      }
      // Not an admin; another tenant's admin; no such keystore.
      expect((await setMtls(strict.keystoreId, { subjectCommonName: KMS_CN, caCertificates: bundle }, t.auditor)).status).toBe(403);
      expect((await setMtls(strict.keystoreId, { subjectCommonName: KMS_CN, caCertificates: bundle }, t.approver1)).status).toBe(403);
      expect((await h.client.call('DELETE', `/v1/xks/keystores/${strict.keystoreId}/mtls`, { token: t.auditor })).status).toBe(403);
      const other = await makeTenant(h);
      expect((await setMtls(strict.keystoreId, { subjectCommonName: KMS_CN, caCertificates: bundle }, other.admin)).status).toBe(404);
      // Set, with the first root only (the other CA's client must be refused).
      const ok = await setMtls(strict.keystoreId, { subjectCommonName: KMS_CN, caCertificates: `# Test Root CA 1\n${certs.root.cert}` });
      expect(ok.status, JSON.stringify(ok.body)).toBe(200);
      expect(ok.body.mtls).toEqual({
        subjectCommonName: KMS_CN,
        caCertificates: [
          { subject: 'O=Test, CN=Test Root CA 1', fingerprint256: expect.stringMatching(/^[0-9A-F:]{95}$/), validTo: expect.any(String) },
        ],
      });
      const list = (await h.client.call('GET', '/v1/xks/keystores', { token: t.admin })).body.keystores;
      expect(list.find((k: any) => k.keystoreId === strict.keystoreId).mtls.subjectCommonName).toBe(KMS_CN);
      expect(list.find((k: any) => k.keystoreId === plain.keystoreId).mtls).toBeNull();
      const { records } = await exportLog(h, t.auditor);
      expect(records.filter((r) => r.action === 'xks.keystore.mtls.set')).toEqual([
        expect.objectContaining({
          target: strict.keystoreId,
          outcome: 'success',
          reasons: { subjectCommonName: KMS_CN, caCertificates: [ok.body.mtls.caCertificates[0].fingerprint256] },
        }),
      ]);
    });

    it('serves the mTLS keystore over the XKS listener to the right client certificate (curl and Node)', async () => {
      const c = await curlMtls(caFile, `${xksUrl}${strict.uriPath}/health`, health(), strict.cred, {
        certFile: certs.good.chainFile,
        keyFile: certs.good.keyFile,
      });
      expect([c.code, c.status], JSON.stringify(c.body)).toEqual([0, 200]);
      const e = await curlMtls(caFile, `${xksUrl}${strict.uriPath}/keys/${keyId}/encrypt`, encryptBody(), strict.cred, {
        certFile: certs.good.chainFile,
        keyFile: certs.good.keyFile,
      });
      expect(e.status, JSON.stringify(e.body)).toBe(200);
      expect(e.body.ciphertext).toEqual(expect.any(String));
      const n = await nodeMtls(h.ca, `${xksUrl}${strict.uriPath}/keys/${keyId}/encrypt`, encryptBody(), strict.cred, {
        cert: certs.good.chain,
        key: certs.good.key,
      });
      expect(n.status).toBe(200);
    });

    it('accepts the right certificate on every new connection, also after a certificate reload (no resumed sessions)', async () => {
      // An agent that caches TLS sessions: a resumed session would carry the leaf without its intermediate.
      const agent = new Agent({ maxCachedSessions: 10, keepAlive: false });
      const url = `${xksUrl}${strict.uriPath}/health`;
      const once = async () => {
        const text = JSON.stringify(health());
        const headers = await smithyHeaders({ url, body: text, credential: strict.cred });
        return new Promise<{ status?: number; reused?: boolean }>((resolve) => {
          const req = request(
            url,
            {
              method: 'POST',
              ca: h.ca,
              cert: certs.good.chain,
              key: certs.good.key,
              agent,
              headers: { ...headers, 'content-length': String(text.length) },
            },
            (res) => {
              const reused = (res.socket as TLSSocket).isSessionReused();
              void readAnswer(res).then(
                (a) => resolve({ status: a.status, reused }),
                () => resolve({}),
              );
            },
          );
          req.on('error', () => resolve({}));
          req.end(text);
        });
      };
      try {
        for (let i = 0; i < 3; i++) expect(await once()).toEqual({ status: 200, reused: false });
        await h.broker.reloadCertificate();
        for (let i = 0; i < 2; i++) expect(await once()).toEqual({ status: 200, reused: false });
        const bare = await curlMtls(caFile, url, health(), strict.cred);
        expect(bare.status).toBeUndefined();
      } finally {
        agent.destroy();
      }
    });

    it('a change of the settings holds at the next call on a connection already open', async () => {
      const agent = new Agent({ keepAlive: true, maxSockets: 1 });
      const url = `${xksUrl}${strict.uriPath}/health`;
      const once = async () => {
        const text = JSON.stringify(health());
        const headers = await smithyHeaders({ url, body: text, credential: strict.cred });
        return new Promise<{ status?: number; port?: number }>((resolve) => {
          const req = request(
            url,
            {
              method: 'POST',
              ca: h.ca,
              cert: certs.good.chain,
              key: certs.good.key,
              agent,
              headers: { ...headers, 'content-length': String(text.length) },
            },
            (res) => {
              const port = res.socket.localPort;
              void readAnswer(res).then(
                (a) => resolve({ status: a.status, port }),
                () => resolve({}),
              );
            },
          );
          req.on('error', () => resolve({}));
          req.end(text);
        });
      };
      try {
        const first = await once();
        const second = await once();
        expect([first.status, second.status]).toEqual([200, 200]);
        expect(second.port).toBe(first.port); // the same connection, kept alive
        const other = await setMtls(strict.keystoreId, {
          subjectCommonName: 'cks.kms.eu-west-1.amazonaws.com',
          caCertificates: certs.root.cert,
        });
        expect(other.status).toBe(200);
        expect((await once()).status).toBeUndefined();
      } finally {
        agent.destroy();
        expect((await setMtls(strict.keystoreId, { subjectCommonName: KMS_CN, caCertificates: certs.root.cert })).status).toBe(200);
      }
    });

    it('closes the connection without an answer for every other client, and records why', async () => {
      const start = (await exportLog(h, t.auditor)).records.length;
      const url = `${xksUrl}${strict.uriPath}/keys/${keyId}/encrypt`;
      const cases: [string, { certFile: string; keyFile: string } | undefined, string][] = [
        ['no certificate', undefined, 'no client certificate'],
        ['wrong CN', { certFile: certs.wrongCn.chainFile, keyFile: certs.wrongCn.keyFile }, 'another subject CN'],
        ['two CNs', { certFile: certs.twoCns.chainFile, keyFile: certs.twoCns.keyFile }, 'another subject CN'],
        ['right CN, other CA', certs.otherCa, "does not chain to the keystore's CA"],
        ['expired', { certFile: certs.expired.chainFile, keyFile: certs.expired.keyFile }, 'not valid now'],
        ['self-signed, right CN', certs.selfSigned, "does not chain to the keystore's CA"],
        [
          'leaf without its intermediate',
          { certFile: certs.good.certFile, keyFile: certs.good.keyFile },
          "does not chain to the keystore's CA",
        ],
        ['for servers only', { certFile: certs.serverOnly.chainFile, keyFile: certs.serverOnly.keyFile }, 'not for client authentication'],
        // A client certificate (CA:FALSE) used as a CA to sign one with the right CN.
        [
          'signed by a client certificate',
          { certFile: certs.forged.chainFile, keyFile: certs.forged.keyFile },
          "does not chain to the keystore's CA",
        ],
      ];
      for (const [what, cert, _reason] of cases) {
        const r = await curlMtls(caFile, url, encryptBody(), strict.cred, cert);
        expect(r.status, what).toBeUndefined();
        expect(r.code, what).not.toBe(0);
      }
      // The main listener asks for no certificate: the mTLS keystore is never served there.
      const main = await curlMtls(caFile, `${h.url}${strict.uriPath}/health`, health(), strict.cred, {
        certFile: certs.good.chainFile,
        keyFile: certs.good.keyFile,
      });
      expect([main.status, main.code === 0]).toEqual([undefined, false]);
      const viaNode = await nodeMtls(h.ca, `${h.url}${strict.uriPath}/keys/${keyId}/encrypt`, encryptBody(), strict.cred);
      expect(viaNode.status).toBeUndefined();
      // A bad signature with the right certificate is still the spec's 401 (mTLS first, then SigV4).
      const badSig = await curlMtls(
        caFile,
        `${xksUrl}${strict.uriPath}/health`,
        health(),
        { ...strict.cred, secretAccessKey: 'A'.repeat(44) },
        {
          certFile: certs.good.chainFile,
          keyFile: certs.good.keyFile,
        },
      );
      expect([badSig.status, badSig.body?.errorName]).toEqual([401, 'AuthenticationFailedException']);

      const { records } = await exportLog(h, t.auditor);
      const refusals = records.slice(start).filter((r) => r.actor === strict.keystoreId && r.reasons?.error === 'mtls');
      // Each refusal for its own reason: the record names the client certificate by its fingerprint.
      expect(refusals.some((r) => r.reasons.clientCertificate === undefined && r.reasons.mtls === 'no client certificate')).toBe(true);
      for (const [what, cert, reason] of cases) {
        if (!cert) continue;
        const fingerprint = new X509Certificate(readFileSync(cert.certFile)).fingerprint256;
        const mine = refusals.filter((r) => r.reasons.clientCertificate === fingerprint);
        expect(mine.length, what).toBeGreaterThan(0);
        for (const r of mine) expect(r.reasons.mtls, what).toContain(reason);
      }
      expect(refusals.some((r) => r.reasons.mtls.includes('not over the XKS listener'))).toBe(true);
      expect(refusals.every((r) => r.outcome === 'failure' && r.reasons.accessKeyId === strict.cred.accessKeyId)).toBe(true);
      expect(refusals.find((r) => r.reasons.mtls.includes('another subject CN')).reasons.clientCertificate).toMatch(/^[0-9A-F:]{95}$/);
      expect(JSON.stringify(refusals)).not.toContain(strict.cred.secretAccessKey);
      expect(JSON.stringify(refusals)).not.toContain('PRIVATE KEY');
    });

    it('a keystore without mTLS works on both listeners, with or without a client certificate', async () => {
      for (const base of [h.url, xksUrl]) {
        const bare = await curlMtls(caFile, `${base}${plain.uriPath}/keys/${keyId}/encrypt`, encryptBody(), plain.cred);
        expect([base, bare.status]).toEqual([base, 200]);
      }
      const withCert = await curlMtls(caFile, `${xksUrl}${plain.uriPath}/health`, health(), plain.cred, certs.otherCa);
      expect(withCert.status).toBe(200);
    });

    it('the XKS listener serves the XKS API only: anything else is 404 in our shape', async () => {
      const get = await new Promise<{ status: number; body: any }>((resolve, reject) => {
        const req = request(`${xksUrl}/v1/health`, { ca: h.ca, agent: false }, (res) => void readAnswer(res).then(resolve, reject));
        req.on('error', reject);
        req.end();
      });
      expect([get.status, get.body.error?.code]).toEqual([404, 'ERR_NOT_FOUND']);
      const list = await new Promise<{ status: number; body: any }>((resolve, reject) => {
        const req = request(
          `${xksUrl}/v1/xks/keystores`,
          { ca: h.ca, agent: false, headers: { authorization: `Bearer ${t.admin}` } },
          (res) => void readAnswer(res).then(resolve, reject),
        );
        req.on('error', reject);
        req.end();
      });
      expect([list.status, list.body.error?.code]).toEqual([404, 'ERR_NOT_FOUND']);
    });

    it.runIf(opts.serveCli)(
      'broker serve --xks-listen opens the second listener',
      async () => {
        await serveWithXksListener(h.dir);
      },
      60_000,
    );

    it('DELETE turns it off (both listeners serve it again); the CLI sets it, lists it and turns it off', async () => {
      const off = await h.client.call('DELETE', `/v1/xks/keystores/${strict.keystoreId}/mtls`, { token: t.admin });
      expect([off.status, off.body.mtls]).toEqual([200, null]);
      expect((await curlMtls(caFile, `${h.url}${strict.uriPath}/health`, health(), strict.cred)).status).toBe(200);
      expect((await curlMtls(caFile, `${xksUrl}${strict.uriPath}/health`, health(), strict.cred)).status).toBe(200);

      const set = await cli(h, t.admin, [
        'xks',
        'keystore',
        'mtls',
        strict.keystoreId,
        '--subject',
        KMS_CN,
        '--client-ca',
        certs.root.certFile,
        '--json',
      ]);
      expect(set.code, set.stderr).toBe(0);
      expect(JSON.parse(set.stdout).mtls.subjectCommonName).toBe(KMS_CN);
      const list = await cli(h, t.admin, ['xks', 'keystore', 'list']);
      expect(list.stdout).toContain(KMS_CN);
      expect((await curlMtls(caFile, `${h.url}${strict.uriPath}/health`, health(), strict.cred)).status).toBeUndefined();
      const badCa = await cli(h, t.admin, [
        'xks',
        'keystore',
        'mtls',
        strict.keystoreId,
        '--subject',
        KMS_CN,
        '--client-ca',
        certs.good.keyFile,
      ]);
      expect(badCa.code).not.toBe(0);
      expect(badCa.stderr).toContain('ERR_ARGUMENT');
      const cleared = await cli(h, t.admin, ['xks', 'keystore', 'mtls', strict.keystoreId, '--off', '--json']);
      expect(cleared.code, cleared.stderr).toBe(0);
      expect(JSON.parse(cleared.stdout).mtls).toBeNull();
      const { records } = await exportLog(h, t.auditor);
      expect(records.filter((r) => r.action === 'xks.keystore.mtls.clear' && r.target === strict.keystoreId).length).toBe(2);
    }, 60_000);
  });
}
