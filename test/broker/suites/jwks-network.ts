/**
 * An issuer's jwksUri cannot send the broker into its own network (docs/broker.md, trusted
 * issuers): loopback, private, link-local and other special addresses are refused when the
 * issuer is saved unless it says "allowPrivateNetwork": true (kept in the issuer.update
 * record), and an agent whose attestation needs a key set that cannot be fetched gets one
 * generic refusal, never the network's error (ECONNREFUSED, EPROTO, a certificate code): an
 * admin with an agent must not map internal ports. The audit record keeps the detail.
 */
import { describe, expect, it } from 'vitest';
import { mkdtemp } from 'node:fs/promises';
import { createServer as createHttpsServer } from 'node:https';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createTcpServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { BrokerAgent } from '../../../src/agent/index.js';
import { hpkeSeal } from '../../../src/keys/hpke.js';
import { makePki } from '../../../src/broker/data-dir/tls.js';
import { makeTenant, type Harness } from '../helpers.js';

const te = new TextEncoder();
const GENERIC = "attestation refused: the attestation token's issuer key set could not be fetched";
const NETWORK_WORDS =
  /ECONNREFUSED|EPROTO|ECONNRESET|CERT|SELF_SIGNED|UNABLE_TO|certificate|127\.0\.0\.1|ssl|wrong version|HTTP_STATUS|404/i;

async function listening(server: Server | ReturnType<typeof createHttpsServer>): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as { port: number }).port;
}

async function freePort(): Promise<number> {
  const s = createTcpServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
}

export function jwksNetworkSuite(harness: () => Harness): void {
  describe('issuer jwksUri and the network', () => {
    it('refuses loopback, private, link-local and special hosts when the issuer is saved, unless it allows them', async () => {
      const h = harness();
      const t = await makeTenant(h);
      const port = await freePort();
      const refused = [
        `https://127.0.0.1:${port}/`,
        'https://localhost/jwks.json',
        'https://LOCALHOST./jwks.json',
        'https://keys.localhost/jwks.json',
        'https://[::1]/jwks.json',
        'https://169.254.169.254/latest/meta-data',
        'https://10.0.0.1/jwks.json',
        'https://172.16.5.4/jwks.json',
        'https://192.168.1.1/jwks.json',
        'https://100.64.0.1/jwks.json',
        'https://0.0.0.0/jwks.json',
        'https://2130706433/jwks.json', // 127.0.0.1 as one number
        'https://[::ffff:127.0.0.1]/jwks.json',
        'https://[::ffff:169.254.169.254]/jwks.json',
        'https://[fe80::1]/jwks.json',
        'https://[fd12:3456::1]/jwks.json',
        'https://[::]/jwks.json',
      ];
      for (const jwksUri of refused) {
        const r = await h.client.call('POST', '/v1/issuers', {
          token: t.admin,
          body: { name: 'net', issuer: 'https://net.example', jwksUri },
        });
        expect(r.status, jwksUri).toBe(400);
        expect(r.body.error.code, jwksUri).toBe('ERR_ARGUMENT');
        expect(r.body.error.message, jwksUri).toContain('allowPrivateNetwork');
      }
      // A public name is fine (nothing is fetched at save); the flag goes only with jwksUri.
      expect(
        (
          await h.client.call('POST', '/v1/issuers', {
            token: t.admin,
            body: { name: 'pub', issuer: 'https://pub.example', jwksUri: 'https://issuer.example/jwks.json' },
          })
        ).status,
      ).toBe(201);
      const stray = await h.client.call('POST', '/v1/issuers', {
        token: t.admin,
        body: { name: 'x', issuer: 'https://x.example', jwks: { keys: [{ kty: 'EC' }] }, allowPrivateNetwork: true },
      });
      expect(stray.body.error.code).toBe('ERR_ARGUMENT');
      const wrongType = await h.client.call('POST', '/v1/issuers', {
        token: t.admin,
        body: { name: 'x', issuer: 'https://x.example', jwksUri: 'https://10.0.0.1/', allowPrivateNetwork: 'yes' },
      });
      expect(wrongType.status).toBe(400);

      const allowed = await h.client.call('POST', '/v1/issuers', {
        token: t.admin,
        body: { name: 'net', issuer: 'https://net.example', jwksUri: refused[0], allowPrivateNetwork: true },
      });
      expect(allowed.status, JSON.stringify(allowed.body)).toBe(201);
      const log = await h.client.call('GET', '/v1/audit?limit=1000', { token: t.auditor });
      const updates = log.body.records.filter(
        (r: { action: string; target: string }) => r.action === 'issuer.update' && r.target === 'net',
      );
      expect(updates.map((r: { reasons: unknown }) => r.reasons)).toEqual([
        { issuer: 'https://net.example', jwksUri: refused[0], allowPrivateNetwork: true },
      ]);
      const pub = log.body.records.find((r: { action: string; target: string }) => r.action === 'issuer.update' && r.target === 'pub');
      expect(pub.reasons).toMatchObject({ allowPrivateNetwork: false });
    });

    it('an agent is told one generic refusal whatever the network said; the audit record has the detail', async () => {
      const h = harness();
      const t = await makeTenant(h);
      const k = await h.client.call('POST', '/v1/keys', { token: t.admin, body: { name: 'attested-net' } });
      const keyId = k.body.keyId as string;
      const pub = new Uint8Array(Buffer.from(k.body.publicKey, 'base64'));
      const p = await h.client.call('PUT', '/v1/policies/attested-net', {
        token: t.admin,
        body: {
          keys: [keyId],
          devices: { groups: ['net'] },
          rules: { claim: 'attested.net.ok', equals: true },
          approval: { mode: 'auto' },
        },
      });
      expect(p.status, JSON.stringify(p.body)).toBe(200);
      const e = await h.client.call('POST', '/v1/enrollment-tokens', { token: t.admin, body: { groups: ['net'], uses: 1 } });
      const stateDir = join(await mkdtemp(join(tmpdir(), 'sc-agent-')), 's');
      (await BrokerAgent.enroll({ url: h.url, ca: h.ca, token: e.body.token, stateDir, device: { name: 'net-1' } })).close();

      const signer = await generateKeyPair('ES256', { extractable: true });
      const jwk = { ...(await exportJWK(signer.publicKey)), kid: 'n1', alg: 'ES256' };
      const jwt = await new SignJWT({ ok: true })
        .setProtectedHeader({ alg: 'ES256', kid: 'n1' })
        .setIssuer('https://net.example')
        .setAudience('broker')
        .setIssuedAt()
        .setExpirationTime('5m')
        .sign(signer.privateKey);
      const volume = randomUUID();
      const s = await hpkeSeal(
        'x25519',
        pub,
        te.encode('sectorcrypt-luks2/v1 broker'),
        te.encode(`${keyId}/1/${volume}`),
        new Uint8Array(32).fill(4),
      );
      const sealed = { keyId, version: 1, enc: s.enc, ciphertext: s.ciphertext };

      // Four servers an admin might probe: a closed port, plain HTTP where TLS is expected,
      // an HTTPS server whose CA the issuer does not name, and one that serves the key set.
      const pki = await makePki([]);
      const plain = createHttpServer((_req, res) => res.end('{}'));
      const untrusted = createHttpsServer({ key: pki.serverKeyPem, cert: pki.serverPem }, (_req, res) =>
        res.end(JSON.stringify({ keys: [jwk] })),
      );
      const good = createHttpsServer({ key: pki.serverKeyPem, cert: pki.serverPem }, (req, res) => {
        res.writeHead(req.url === '/jwks.json' ? 200 : 404);
        res.end(JSON.stringify({ keys: [jwk] }));
      });
      const [plainPort, untrustedPort, goodPort, closedPort] = [
        await listening(plain),
        await listening(untrusted),
        await listening(good),
        await freePort(),
      ];
      const cases: [string, Record<string, unknown>, RegExp][] = [
        ['closed port', { jwksUri: `https://127.0.0.1:${closedPort}/jwks.json` }, /^ECONNREFUSED$/],
        ['plain HTTP', { jwksUri: `https://127.0.0.1:${plainPort}/jwks.json` }, /^(EPROTO|ERR_SSL_.*)$/],
        ['unknown CA', { jwksUri: `https://127.0.0.1:${untrustedPort}/jwks.json` }, /CERT|UNABLE_TO|SELF_SIGNED/],
        ['not found', { jwksUri: `https://127.0.0.1:${goodPort}/nothing`, jwksCa: pki.caPem }, /^HTTP_STATUS$/],
      ];
      const agent = await BrokerAgent.load({ stateDir, attestations: async () => [jwt] });
      try {
        for (const [what, where, code] of cases) {
          const saved = await h.client.call('POST', '/v1/issuers', {
            token: t.admin,
            body: { name: 'net', issuer: 'https://net.example', audience: 'broker', allowPrivateNetwork: true, ...where },
          });
          expect(saved.status, what).toBe(201);
          const err = await agent.unwrap(sealed, { resource: `luks2:${volume}` }).then(
            () => undefined,
            (x: { code: string; message: string }) => x,
          );
          expect(err?.code, what).toBe('ERR_UNAUTHENTICATED');
          expect(err!.message, what).toContain(GENERIC);
          expect(err!.message, what).not.toMatch(NETWORK_WORDS);
          const log = await h.client.call('GET', '/v1/audit?limit=1000', { token: t.auditor });
          const deny = log.body.records.filter((r: { action: string }) => r.action === 'key.deny').at(-1);
          expect(deny.reasons.code, what).toBe('ERR_UNAUTHENTICATED');
          expect(deny.reasons.jwks, what).toMatchObject({ issuer: 'net', code: expect.stringMatching(code), addresses: ['127.0.0.1'] });
        }
        // The same issuer with its key set where it is: the release goes through.
        await h.client.call('POST', '/v1/issuers', {
          token: t.admin,
          body: {
            name: 'net',
            issuer: 'https://net.example',
            audience: 'broker',
            allowPrivateNetwork: true,
            jwksUri: `https://127.0.0.1:${goodPort}/jwks.json`,
            jwksCa: pki.caPem,
          },
        });
        expect((await agent.unwrap(sealed, { resource: `luks2:${volume}` }))[0]).toBe(4);
      } finally {
        agent.close();
        for (const srv of [plain, untrusted, good]) {
          srv.closeAllConnections();
          await new Promise((r) => srv.close(r));
        }
      }
    }, 60_000);
  });
}
