/** Accounts, keys and the HTTP surface of the broker over real HTTPS (run on each store). */
import { beforeAll, describe, expect, it } from 'vitest';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { hpkeSeal } from '../../../src/keys/hpke.js';
import { makeTenant, type Harness } from '../helpers.js';

export function accountsAndKeysSuite(harness: () => Harness, store: 'pglite' | 'postgres'): void {
  let h: Harness;
  let t: Awaited<ReturnType<typeof makeTenant>>;

  beforeAll(async () => {
    h = harness();
    t = await makeTenant(h);
  }, 120_000);

  describe('broker init', () => {
    it('writes the secrets with mode 0600', async () => {
      for (const f of ['root.key', 'server.key', 'ca.key']) {
        const s = await stat(join(h.dir, 'data', f));
        expect(s.mode & 0o777, f).toBe(0o600);
      }
      expect((await stat(join(h.dir, 'data', 'root.key'))).size).toBe(32);
    });

    it('serves health over HTTPS', async () => {
      const r = await h.client.call('GET', '/v1/health');
      const expiry = { notAfter: expect.any(String), daysLeft: expect.any(Number) };
      expect(r).toEqual({ status: 200, body: { status: 'ok', store, certificate: { server: expiry, ca: expiry, warnings: [] } } });
    });
  });

  describe('accounts', () => {
    it('refuses calls without a valid token', async () => {
      expect((await h.client.call('GET', '/v1/users')).body.error.code).toBe('ERR_UNAUTHENTICATED');
      const unknown = 'sct_' + 'A'.repeat(43);
      const r = await h.client.call('GET', '/v1/users', { token: unknown });
      expect(r.status).toBe(401);
      expect(r.body.error).toMatchObject({
        code: 'ERR_UNAUTHENTICATED',
        message: expect.stringMatching(/refused.*unknown, expired or revoked/),
      });
      // A malformed token (a space in it) is refused as malformed, and never echoed back.
      const malformed = 'sct_secret part' + 'B'.repeat(30);
      const m = await h.client.call('GET', '/v1/users', { token: malformed });
      expect(m.body.error).toMatchObject({ code: 'ERR_UNAUTHENTICATED', message: expect.stringMatching(/refused: malformed/) });
      expect(JSON.stringify([r.body, m.body])).not.toMatch(/AAAAAAAA|secret part|BBBBBBBB/);
    });

    it('only the operator creates tenants', async () => {
      const r = await h.client.call('POST', '/v1/tenants', { token: t.admin, body: { name: 'nope', admin: { name: 'x' } } });
      expect(r.status).toBe(403);
      expect(r.body.error.code).toBe('ERR_FORBIDDEN');
    });

    it('never gives one user admin and approver', async () => {
      const r = await h.client.call('POST', '/v1/users', { token: t.admin, body: { name: 'eve', roles: ['admin', 'approver'] } });
      expect(r.status).toBe(403);
      expect(r.body.error.code).toBe('ERR_FORBIDDEN');
    });

    it('lists users without their tokens', async () => {
      const r = await h.client.call('GET', '/v1/users', { token: t.admin });
      expect(r.status).toBe(200);
      expect(r.body.users.map((u: { name: string }) => u.name).sort()).toEqual(['alice', 'bob', 'carol', 'dave']);
      expect(JSON.stringify(r.body)).not.toContain('sct_');
    });

    it('an approver cannot manage keys', async () => {
      const r = await h.client.call('POST', '/v1/keys', { token: t.approver1, body: { name: 'k' } });
      expect(r.status).toBe(403);
    });
  });

  describe('bad input', () => {
    it('refuses unknown fields, wrong types, bad JSON and big bodies with 4xx and the error shape', async () => {
      const cases = [
        await h.client.call('POST', '/v1/keys', { token: t.admin, body: { name: 'a', extra: 1 } }),
        await h.client.call('POST', '/v1/keys', { token: t.admin, body: { name: 5 } }),
        await h.client.call('POST', '/v1/keys', { token: t.admin, raw: '{"name": ' }),
        await h.client.call('POST', '/v1/keys', { token: t.admin, raw: JSON.stringify({ name: 'x'.repeat(70_000) }) }),
        await h.client.call('POST', '/v1/keys', { token: t.admin, raw: '{"__proto__": {"x": 1}, "name": "p"}' }),
        await h.client.call('GET', '/v1/nothing-here'),
      ];
      expect(cases.map((c) => c.status)).toEqual([400, 400, 400, 413, 400, 404]);
      for (const c of cases) {
        expect(Object.keys(c.body)).toEqual(['error']);
        expect(c.body.error.code).toMatch(/^ERR_/);
        expect(JSON.stringify(c.body)).not.toMatch(/at .*\.(ts|js):\d+/);
      }
    });
  });

  describe('keys', () => {
    it('makes, lists, rotates, retires and rewraps; never returns a secret key', async () => {
      const made = await h.client.call('POST', '/v1/keys', { token: t.admin, body: { name: 'volumes' } });
      expect(made.status).toBe(201);
      expect(made.body.version).toBe(1);
      const keyId = made.body.keyId as string;
      const pub1 = new Uint8Array(Buffer.from(made.body.publicKey, 'base64'));
      expect(pub1.length).toBe(32);

      const dup = await h.client.call('POST', '/v1/keys', { token: t.admin, body: { name: 'volumes' } });
      expect(dup.body.error.code).toBe('ERR_CONFLICT');

      // A secret sealed to version 1, as an envelope would.
      const secret = new Uint8Array(32).fill(7);
      const sealed = await hpkeSeal(
        'x25519',
        pub1,
        new TextEncoder().encode('sectorcrypt-envelope/v1 broker'),
        new TextEncoder().encode(`${keyId}/1`),
        secret,
      );

      const rot = await h.client.call('POST', `/v1/keys/${keyId}/rotate`, { token: t.admin });
      expect(rot.status).toBe(200);
      expect(rot.body.version).toBe(2);
      const pub = await h.client.call('GET', `/v1/keys/${keyId}/public`, { token: t.approver1 });
      expect(pub.body).toEqual({ keyId, version: 2, publicKey: rot.body.publicKey });

      const rewrap = await h.client.call('POST', `/v1/keys/${keyId}/rewrap`, {
        token: t.admin,
        body: {
          kind: 'envelope',
          version: 1,
          enc: Buffer.from(sealed.enc).toString('base64'),
          ciphertext: Buffer.from(sealed.ciphertext).toString('base64'),
        },
      });
      expect(rewrap.status).toBe(200);
      expect(rewrap.body.version).toBe(2);
      expect(rewrap.body.ciphertext).not.toBe(Buffer.from(sealed.ciphertext).toString('base64'));

      // A tampered ciphertext does not open: a 400, not a crash.
      const bad = Buffer.from(sealed.ciphertext);
      bad[0]! ^= 1;
      const refused = await h.client.call('POST', `/v1/keys/${keyId}/rewrap`, {
        token: t.admin,
        body: { kind: 'envelope', version: 1, enc: Buffer.from(sealed.enc).toString('base64'), ciphertext: bad.toString('base64') },
      });
      expect(refused.status).toBe(400);
      expect(refused.body.error.code).toBe('ERR_AUTH');

      expect((await h.client.call('POST', `/v1/keys/${keyId}/retire`, { token: t.admin, body: { version: 2 } })).body.error.code).toBe(
        'ERR_CONFLICT',
      );
      const ret = await h.client.call('POST', `/v1/keys/${keyId}/retire`, { token: t.admin, body: { version: 1 } });
      expect(ret.status).toBe(200);

      const list = await h.client.call('GET', '/v1/keys', { token: t.admin });
      const k = list.body.keys.find((x: { keyId: string }) => x.keyId === keyId);
      expect(k.versions.map((v: { version: number; retired: boolean }) => [v.version, v.retired])).toEqual([
        [1, true],
        [2, false],
      ]);
      expect(JSON.stringify(list.body)).not.toMatch(/secret/i);
    });

    it('another tenant sees none of these keys', async () => {
      const other = await makeTenant(h);
      const mine = await h.client.call('POST', '/v1/keys', { token: t.admin, body: { name: 'private' } });
      const r = await h.client.call('GET', `/v1/keys/${mine.body.keyId}/public`, { token: other.admin });
      expect(r.status).toBe(404);
      expect((await h.client.call('GET', '/v1/keys', { token: other.admin })).body.keys).toEqual([]);
    });
  });

  describe('audit', () => {
    it('records every change in one gapless sequence per tenant', async () => {
      const r = await h.client.call('GET', '/v1/audit?limit=1000', { token: t.auditor });
      expect(r.status).toBe(200);
      const seqs = r.body.records.map((x: { seq: number }) => x.seq);
      expect(seqs).toEqual(seqs.map((_: number, i: number) => i));
      const actions = r.body.records.map((x: { action: string }) => x.action);
      expect(actions).toContain('tenant.create');
      expect(actions).toContain('key.rotate');
      expect(actions).toContain('key.retire');
      expect(actions).toContain('key.rewrap');
      expect(JSON.stringify(r.body)).not.toContain('sct_');
    });
  });
}
