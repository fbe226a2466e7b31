/**
 * Tenants and roles (docs/broker.md "Tenants, users and tokens"): every endpoint that takes an id
 * or a name answers another tenant's exactly as a missing one (ERR_NOT_FOUND); separation of
 * duties; the auditor reads the log and nothing else; no answer holds a secret or a token
 * hash; tokens are revoked.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { BrokerAgent } from '../../../src/agent/index.js';
import { hpkeSeal } from '../../../src/keys/hpke.js';
import { PinnedHttps } from '../../../src/agent/https.js';
import { signRequest } from '../../../src/http-signature/index.js';
import { tokenHash } from '../../../src/broker/auth/secrets.js';
import { makeTenant, operatorAdmin, type Harness } from '../helpers.js';

const te = new TextEncoder();

export function tenancyRolesSuite(harness: () => Harness): void {
  describe('tenants and roles', () => {
    let h: Harness;
    let a: Awaited<ReturnType<typeof makeTenant>>;
    let b: Awaited<ReturnType<typeof makeTenant>>;
    const ids: Record<string, string> = {};

    beforeAll(async () => {
      h = harness();
      [a, b] = [await makeTenant(h), await makeTenant(h)];
      const key = await h.client.call('POST', '/v1/keys', { token: a.admin, body: { name: 'shared-name' } });
      await h.client.call('POST', '/v1/keys', { token: b.admin, body: { name: 'shared-name' } });
      ids.key = key.body.keyId;
      const body = {
        keys: [ids.key],
        devices: { groups: ['g'] },
        rules: { claim: 'integrity.firewall', equals: true },
        approval: { mode: 'manual', approvers: 2, ttlSeconds: 600 },
      };
      expect((await h.client.call('PUT', '/v1/policies/a-only', { token: a.admin, body })).status).toBe(200);
      const enr = await h.client.call('POST', '/v1/enrollment-tokens', { token: a.admin, body: { groups: ['g'] } });
      const stateDir = join(await mkdtemp(join(tmpdir(), 'sc-agent-')), 's');
      const agent = await BrokerAgent.enroll({ url: h.url, ca: h.ca, token: enr.body.token, stateDir, device: { name: 'a-dev' } });
      ids.device = agent.deviceId;
      const uuid = randomUUID();
      const s = await hpkeSeal(
        'x25519',
        new Uint8Array(Buffer.from(key.body.publicKey, 'base64')),
        te.encode('sectorcrypt-luks2/v1 broker'),
        te.encode(`${ids.key}/1/${uuid}`),
        new Uint8Array(32),
      );
      const loaded = await BrokerAgent.load({ stateDir, claims: { integrity: { firewall: true } } });
      const pending = await loaded
        .unwrap({ keyId: ids.key, version: 1, enc: s.enc, ciphertext: s.ciphertext }, { resource: `luks2:${uuid}` })
        .catch((e: { code: string; requestId: string }) => e);
      expect((pending as { code: string }).code).toBe('ERR_PENDING');
      ids.request = (pending as { requestId: string }).requestId;
      loaded.close();
      agent.close();
      const users = await h.client.call('GET', '/v1/users', { token: a.admin });
      ids.user = users.body.users.find((u: { name: string }) => u.name === 'bob').userId;
      const tok = await h.client.call('POST', '/v1/tokens', { token: a.auditor, body: { expiresInSeconds: 3600 } });
      ids.token = tok.body.tokenId;
      const destroy = await h.client.call('POST', `/v1/keys/${ids.key}/destroy`, { token: a.admin });
      ids.action = destroy.body.actionId;
    }, 60_000);

    it("answers another tenant's ids exactly as missing ones, from every endpoint", async () => {
      const missing = (id: string) => id.replace(/_[0-9a-f]{8}/, '_00000000');
      const calls: [string, string, string, unknown?][] = [
        [b.admin, 'GET', `/v1/keys/${ids.key}/public`],
        [b.admin, 'POST', `/v1/keys/${ids.key}/rotate`],
        [b.admin, 'POST', `/v1/keys/${ids.key}/retire`, { version: 1 }],
        [
          b.admin,
          'POST',
          `/v1/keys/${ids.key}/rewrap`,
          {
            kind: 'luks2',
            version: 1,
            enc: Buffer.alloc(32).toString('base64'),
            ciphertext: 'AAAAAA==',
            resource: `luks2:${randomUUID()}`,
          },
        ],
        [b.admin, 'POST', `/v1/keys/${ids.key}/destroy`],
        [b.admin, 'POST', `/v1/actions/${ids.action}/confirm`],
        [b.admin, 'POST', `/v1/devices/${ids.device}/revoke`],
        [b.admin, 'POST', `/v1/users/${ids.user}/roles`, { roles: ['auditor'] }],
        [b.admin, 'POST', `/v1/tokens/${ids.token}/revoke`],
        [b.approver1, 'POST', `/v1/requests/${ids.request}/approve`],
        [b.approver1, 'POST', `/v1/requests/${ids.request}/deny`],
      ];
      for (const [token, method, path, body] of calls) {
        const theirs = await h.client.call(method, path, { token, body });
        const none = await h.client.call(method, path.replace(/[a-z]+_[0-9a-f-]{36}/, missing), { token, body });
        expect([theirs.status, theirs.body.error?.code], path).toEqual([404, 'ERR_NOT_FOUND']);
        expect(theirs.body, path).toEqual(none.body);
      }
      // A device of tenant B asking for tenant A's request (GET /v1/agent/requests/:id, signed).
      const bEnroll = await h.client.call('POST', '/v1/enrollment-tokens', { token: b.admin, body: { groups: ['g'] } });
      const bState = join(await mkdtemp(join(tmpdir(), 'sc-agent-')), 's');
      const bAgent = await BrokerAgent.enroll({
        url: h.url,
        ca: h.ca,
        token: bEnroll.body.token,
        stateDir: bState,
        device: { name: 'b-dev' },
      });
      const secretKey = new Uint8Array(await readFile(join(bState, 'device.key')));
      const http = new PinnedHttps(h.ca);
      try {
        const ask = async (requestId: string) => {
          const url = `${h.url}/v1/agent/requests/${requestId}`;
          return http.send('GET', url, signRequest({ method: 'GET', url, body: new Uint8Array(), keyId: bAgent.deviceId, secretKey }));
        };
        const theirs = await ask(ids.request!);
        expect([theirs.status, (theirs.body as { error: { code: string } }).error.code]).toEqual([404, 'ERR_NOT_FOUND']);
        expect(theirs.body).toEqual((await ask(missing(ids.request!))).body);
      } finally {
        http.close();
        bAgent.close();
      }
      for (const [method, path] of [
        ['GET', '/v1/policies/a-only'],
        ['DELETE', '/v1/policies/a-only'],
      ]) {
        expect((await h.client.call(method!, path!, { token: b.admin })).body.error.code, path).toBe('ERR_NOT_FOUND');
      }
      // Lists hold none of tenant A's rows, and A's rows are untouched.
      const lists = await Promise.all(
        ['/v1/keys', '/v1/devices', '/v1/policies', '/v1/users', '/v1/requests'].map((p) => h.client.call('GET', p, { token: b.admin })),
      );
      const seen = JSON.stringify(lists.map((l) => l.body));
      for (const id of Object.values(ids)) expect(seen).not.toContain(id);
      const aKeys = await h.client.call('GET', '/v1/keys', { token: a.admin });
      expect(aKeys.body.keys.find((k: { keyId: string }) => k.keyId === ids.key).versions.length).toBe(1);
      // The audit log: B's export and proofs never reach A's records.
      const bLog = await h.client.call('GET', '/v1/audit?limit=1000', { token: b.auditor });
      expect(JSON.stringify(bLog.body)).not.toContain(ids.key);
      const aSize = (await h.client.call('GET', '/v1/audit/checkpoint', { token: a.auditor })).body.size;
      const bSize = (await h.client.call('GET', '/v1/audit/checkpoint', { token: b.auditor })).body.size;
      expect(
        (await h.client.call('GET', `/v1/audit/proof?seq=0&size=${Math.max(aSize, bSize) + 1}`, { token: b.auditor })).body.error.code,
      ).toBe('ERR_NOT_FOUND');
    });

    it('never puts admin and approver on one user, also when roles change', async () => {
      const r = await h.client.call('POST', `/v1/users/${ids.user}/roles`, { token: a.admin, body: { roles: ['approver', 'admin'] } });
      expect(r.body.error.code).toBe('ERR_FORBIDDEN');
      const ok = await h.client.call('POST', `/v1/users/${ids.user}/roles`, { token: a.admin, body: { roles: ['approver', 'auditor'] } });
      expect(ok.body).toEqual({ userId: ids.user, roles: ['approver', 'auditor'] });
      expect(
        (await h.client.call('POST', `/v1/users/${ids.user}/roles`, { token: a.approver1, body: { roles: ['admin'] } })).body.error.code,
      ).toBe('ERR_FORBIDDEN');
    });

    it('counts N approvals as N distinct approvers', async () => {
      const first = await h.client.call('POST', `/v1/requests/${ids.request}/approve`, { token: a.approver2 });
      expect(first.body.status).toBe('pending');
      expect((await h.client.call('POST', `/v1/requests/${ids.request}/approve`, { token: a.approver2 })).body.error.code).toBe(
        'ERR_CONFLICT',
      );
      expect(
        (await h.client.call('GET', `/v1/requests?status=pending`, { token: a.admin })).body.requests.some(
          (x: { requestId: string }) => x.requestId === ids.request,
        ),
      ).toBe(true);
    });

    it("takes a second admin to lower a policy's approvers", async () => {
      const second = await operatorAdmin(h, a.tenantId, 'erin');
      const body = {
        keys: [ids.key],
        devices: { groups: ['g'] },
        rules: { claim: 'integrity.firewall', equals: true },
        approval: { mode: 'manual', approvers: 1, ttlSeconds: 600 },
      };
      const ask = await h.client.call('PUT', '/v1/policies/a-only', { token: a.admin, body });
      expect(ask.status).toBe(202);
      expect((await h.client.call('GET', '/v1/policies/a-only', { token: a.admin })).body.policy.approval.approvers).toBe(2);
      expect((await h.client.call('POST', `/v1/actions/${ask.body.actionId}/confirm`, { token: a.admin })).body.error.code).toBe(
        'ERR_FORBIDDEN',
      );
      expect((await h.client.call('POST', `/v1/actions/${ask.body.actionId}/confirm`, { token: a.approver1 })).body.error.code).toBe(
        'ERR_FORBIDDEN',
      );
      expect((await h.client.call('POST', `/v1/actions/${ask.body.actionId}/confirm`, { token: second })).status).toBe(200);
      expect((await h.client.call('GET', '/v1/policies/a-only', { token: a.admin })).body.policy.approval.approvers).toBe(1);
      // Going automatic is lowering too; raising is not.
      const auto = await h.client.call('PUT', '/v1/policies/a-only', { token: a.admin, body: { ...body, approval: { mode: 'auto' } } });
      expect(auto.status).toBe(202);
      const up = await h.client.call('PUT', '/v1/policies/a-only', {
        token: a.admin,
        body: { ...body, approval: { mode: 'manual', approvers: 3 } },
      });
      expect(up.status).toBe(200);
      const log = await h.client.call('GET', '/v1/audit?limit=1000', { token: a.auditor });
      expect(log.body.records.filter((r: { action: string }) => r.action === 'policy.update.request').length).toBe(2);
    });

    it('lets the auditor read the log and nothing else', async () => {
      for (const path of ['/v1/keys', '/v1/devices', '/v1/policies', '/v1/users', '/v1/requests', '/v1/policies/a-only']) {
        expect((await h.client.call('GET', path, { token: a.auditor })).body.error?.code, path).toBe('ERR_FORBIDDEN');
      }
      expect((await h.client.call('POST', '/v1/keys', { token: a.auditor, body: { name: 'x' } })).body.error.code).toBe('ERR_FORBIDDEN');
      expect((await h.client.call('POST', `/v1/requests/${ids.request}/approve`, { token: a.auditor })).body.error.code).toBe(
        'ERR_FORBIDDEN',
      );
      expect((await h.client.call('GET', '/v1/audit?limit=1', { token: a.auditor })).status).toBe(200);
    });

    it('returns no secret key, sealed secret or token hash from any read', async () => {
      const answers = await Promise.all(
        [
          [a.admin, '/v1/keys'],
          [a.admin, '/v1/devices'],
          [a.admin, '/v1/users'],
          [a.admin, '/v1/requests'],
          [a.admin, `/v1/keys/${ids.key}/public`],
          [a.auditor, '/v1/audit?limit=1000'],
          [a.auditor, '/v1/audit/checkpoint'],
        ].map(([token, path]) => h.client.call('GET', path!, { token })),
      );
      const text = JSON.stringify(answers.map((x) => x.body));
      expect(text).not.toMatch(/secret|token_?hash|sealed/i);
      for (const token of [a.admin, a.approver1, a.approver2, a.auditor]) {
        expect(text).not.toContain(token);
        expect(text).not.toContain(tokenHash(token));
      }
    });

    it('refuses a revoked token; only its owner or an admin revokes it', async () => {
      const mine = await h.client.call('POST', '/v1/tokens', { token: a.approver2, body: { expiresInSeconds: 600 } });
      expect(mine.status).toBe(201);
      expect((await h.client.call('GET', '/v1/requests', { token: mine.body.token })).status).toBe(200);
      expect((await h.client.call('POST', `/v1/tokens/${mine.body.tokenId}/revoke`, { token: a.approver1 })).body.error.code).toBe(
        'ERR_NOT_FOUND',
      );
      expect((await h.client.call('POST', `/v1/tokens/${mine.body.tokenId}/revoke`, { token: a.approver2 })).body).toEqual({
        tokenId: mine.body.tokenId,
        revoked: true,
      });
      expect((await h.client.call('GET', '/v1/requests', { token: mine.body.token })).body.error.code).toBe('ERR_UNAUTHENTICATED');
      expect((await h.client.call('POST', `/v1/tokens/${ids.token}/revoke`, { token: a.admin })).status).toBe(200);
      expect((await h.client.call('POST', '/v1/tokens', { token: a.approver2, body: { expiresInSeconds: 10 } })).body.error.code).toBe(
        'ERR_ARGUMENT',
      );
    });
  });
}
