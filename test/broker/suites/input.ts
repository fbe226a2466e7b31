/**
 * Bad input, as an attacker would send it (run on each store): text PostgreSQL cannot store
 * (U+0000, unpaired surrogates) in every route family is a 400 with our error shape, never a
 * 500, and never fails another tenant's releases committed in the same batch; refusals once
 * the sender is known leave a record without the bad text; dates and numbers beyond what the
 * database takes are 400; the framework's own refusals (router, parser, media type, size)
 * answer in our shape too.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { connect } from 'node:tls';
import { BrokerAgent } from '../../../src/agent/index.js';
import { PinnedHttps } from '../../../src/agent/https.js';
import { signEnrollment } from '../../../src/agent/enroll-proof.js';
import { signRequest } from '../../../src/http-signature/index.js';
import { hpkeSeal } from '../../../src/keys/hpke.js';
import { SectorCryptError } from '../../../src/errors.js';
import { findBadInput } from '../../../src/broker/http/input-text.js';
import { makeTenant, type Harness } from '../helpers.js';

const te = new TextEncoder();
const b64 = (b: Uint8Array) => Buffer.from(b).toString('base64');
const BAD = ['\u0000', 'x\ud800', '\udc00y'];

/** Our error shape with this status and code. */
function refused(r: { status: number; body: unknown }, status: number, code = 'ERR_ARGUMENT'): void {
  expect(r.status, JSON.stringify(r.body)).toBe(status);
  expect(Object.keys(r.body as object)).toEqual(['error']);
  expect((r.body as { error: object }).error).toEqual({ code, message: expect.any(String) });
}

export function inputSuite(harness: () => Harness): void {
  describe('bad input', () => {
    let h: Harness;
    let a: Awaited<ReturnType<typeof makeTenant>>;
    let b: Awaited<ReturnType<typeof makeTenant>>;
    const volume = randomUUID();
    const keys: Record<string, { keyId: string; publicKey: Uint8Array }> = {};

    async function makeKey(t: typeof a, name: string, policy?: Record<string, unknown>) {
      const k = await h.client.call('POST', '/v1/keys', { token: t.admin, body: { name } });
      expect(k.status).toBe(201);
      keys[name] = { keyId: k.body.keyId, publicKey: new Uint8Array(Buffer.from(k.body.publicKey, 'base64')) };
      if (policy) {
        const p = await h.client.call('PUT', `/v1/policies/${name}`, {
          token: t.admin,
          body: { keys: [k.body.keyId], devices: { groups: ['g'] }, ...policy },
        });
        expect(p.status, JSON.stringify(p.body)).toBe(200);
      }
      return keys[name]!;
    }

    async function seal(key: { keyId: string; publicKey: Uint8Array }, secret = new Uint8Array(32).fill(5), version = 1) {
      const s = await hpkeSeal(
        'x25519',
        key.publicKey,
        te.encode('sectorcrypt-luks2/v1 broker'),
        te.encode(`${key.keyId}/${version}/${volume}`),
        secret,
      );
      return { keyId: key.keyId, version, enc: s.enc, ciphertext: s.ciphertext };
    }

    async function enroll(t: typeof a, name: string) {
      const e = await h.client.call('POST', '/v1/enrollment-tokens', { token: t.admin, body: { groups: ['g'] } });
      const stateDir = join(await mkdtemp(join(tmpdir(), 'sc-agent-')), 's');
      (await BrokerAgent.enroll({ url: h.url, ca: h.ca, token: e.body.token, stateDir, device: { name } })).close();
      return stateDir;
    }

    /** A device's own signed POST /v1/agent/unwrap with any claims (a fresh nonce each time). */
    async function signedUnwrap(stateDir: string) {
      const device = JSON.parse(await readFile(join(stateDir, 'device.json'), 'utf8'));
      const secretKey = new Uint8Array(await readFile(join(stateDir, 'device.key')));
      const http = new PinnedHttps(h.ca);
      const url = `${h.url}/v1/agent/unwrap`;
      return {
        deviceId: device.deviceId as string,
        close: () => http.close(),
        async send(sealed: Awaited<ReturnType<typeof seal>>, claims: unknown) {
          const body = Buffer.from(
            JSON.stringify({
              kind: 'luks2',
              keyId: sealed.keyId,
              version: sealed.version,
              enc: b64(sealed.enc),
              ciphertext: b64(sealed.ciphertext),
              resource: `luks2:${volume}`,
              claims,
              replyKey: b64(new Uint8Array(32).fill(7)),
            }),
          );
          const headers = {
            ...signRequest({ method: 'POST', url, body, keyId: device.deviceId, secretKey }),
            'content-type': 'application/json',
          };
          return http.send('POST', url, headers, body) as Promise<{ status: number; body: any }>;
        },
      };
    }

    const records = async (t: typeof a) =>
      (await h.client.call('GET', '/v1/audit?limit=1000', { token: t.auditor })).body as { records: any[]; lines: string[] };

    beforeAll(async () => {
      h = harness();
      a = await makeTenant(h);
      b = await makeTenant(h);
      const auto = { rules: { claim: 'device.id', exists: true }, approval: { mode: 'auto' } };
      await makeKey(a, 'a-auto', auto);
      await makeKey(a, 'a-unbound');
      await makeKey(b, 'b-auto', auto);
      await makeKey(a, 'a-manual', {
        rules: { claim: 'device.id', exists: true },
        approval: { mode: 'manual', approvers: 2, ttlSeconds: 600 },
      });
    }, 120_000);

    it("one tenant's device with bad claims in flight fails none of another tenant's releases", async () => {
      const attacker = await signedUnwrap(await enroll(a, 'mallory'));
      const victims = await Promise.all(
        [0, 1, 2, 3].map(async (i) => BrokerAgent.load({ stateDir: await enroll(b, `victim-${i}`), claims: { identity: { ok: 'fine' } } })),
      );
      const sealedA = await seal(keys['a-auto']!);
      const sealedUnbound = await seal(keys['a-unbound']!);
      const secret = new Uint8Array(32).fill(11);
      const sealedB = await seal(keys['b-auto']!, secret);
      let stop = false;
      const badAnswers: { status: number; body: any }[] = [];
      // Eight bad requests always in flight: NUL and lone surrogates, as values and as keys,
      // under an auto policy and under "no policy".
      const badClaims = [
        { identity: { x: '\u0000' } },
        { identity: { x: 'a\ud800' } },
        { integrity: { '\udc00': true } },
        { identity: { ['k\u0000']: 1 } },
      ];
      const attack = Array.from({ length: 8 }, async (_, lane) => {
        for (let i = 0; !stop || i < 2; i++)
          badAnswers.push(await attacker.send(lane % 2 ? sealedUnbound : sealedA, badClaims[(lane + i) % badClaims.length]));
      });
      const ordinary = await Promise.allSettled(
        Array.from({ length: 48 }, (_, i) => victims[i % 4]!.unwrap(sealedB, { resource: `luks2:${volume}` })),
      );
      stop = true;
      await Promise.all(attack);
      attacker.close();
      for (const v of victims) v.close();

      const failures = ordinary.filter((r) => r.status === 'rejected').map((r) => String((r as PromiseRejectedResult).reason));
      expect(failures).toEqual([]);
      for (const r of ordinary) expect(Buffer.from((r as PromiseFulfilledResult<Uint8Array>).value).equals(Buffer.from(secret))).toBe(true);
      expect(badAnswers.length).toBeGreaterThanOrEqual(16);
      for (const r of badAnswers) refused(r, 400);
      // Each refusal is recorded in the attacker's tenant, naming where, not what.
      const log = await records(a);
      const denied = log.records.filter((r) => r.actor === attacker.deviceId && r.action === 'key.deny');
      expect(denied.length).toBe(badAnswers.length);
      for (const r of denied)
        expect(r).toMatchObject({ outcome: 'denied', reasons: { code: 'ERR_ARGUMENT', at: expect.stringMatching(/^\/claims\//) } });
      expect(denied.map((r) => r.reasons.at)).toContain('/claims/identity/k\\u0000');
      for (const line of log.lines) expect(findBadInput(JSON.parse(line))).toBeUndefined();
      // Tenant B's log holds its 48 releases.
      expect((await records(b)).records.filter((r) => r.action === 'key.release')).toHaveLength(48);
    }, 120_000);

    it('a replayed bad request is ERR_REPLAY with no second record', async () => {
      const dir = await enroll(a, 'replayer');
      const device = JSON.parse(await readFile(join(dir, 'device.json'), 'utf8'));
      const secretKey = new Uint8Array(await readFile(join(dir, 'device.key')));
      const sealed = await seal(keys['a-auto']!);
      const body = Buffer.from(
        JSON.stringify({
          kind: 'luks2',
          keyId: sealed.keyId,
          version: 1,
          enc: b64(sealed.enc),
          ciphertext: b64(sealed.ciphertext),
          resource: `luks2:${volume}`,
          claims: { identity: { x: '\u0000' } },
          replyKey: b64(new Uint8Array(32).fill(7)),
        }),
      );
      const url = `${h.url}/v1/agent/unwrap`;
      const headers = {
        ...signRequest({ method: 'POST', url, body, keyId: device.deviceId, secretKey }),
        'content-type': 'application/json',
      };
      const http = new PinnedHttps(h.ca);
      try {
        refused((await http.send('POST', url, headers, body)) as any, 400);
        refused((await http.send('POST', url, headers, body)) as any, 401, 'ERR_REPLAY');
      } finally {
        http.close();
      }
      expect((await records(a)).records.filter((r) => r.actor === device.deviceId && r.action === 'key.deny')).toHaveLength(1);
    });

    it('vote comments: 400, not 500', async () => {
      const agent = await BrokerAgent.load({ stateDir: await enroll(a, 'voter-target') });
      let pending: SectorCryptError & { requestId?: string };
      try {
        await agent.unwrap(await seal(keys['a-manual']!), { resource: `luks2:${volume}` });
        throw new Error('expected a pending request');
      } catch (err) {
        pending = err as SectorCryptError & { requestId?: string };
      }
      agent.close();
      expect(pending.code).toBe('ERR_PENDING');
      for (const comment of BAD) {
        for (const verdict of ['approve', 'deny'])
          refused(
            await h.client.call('POST', `/v1/requests/${pending.requestId}/${verdict}`, { token: a.approver1, body: { comment } }),
            400,
          );
      }
      // The request took no vote.
      const list = await h.client.call('GET', '/v1/requests?status=pending', { token: a.approver1 });
      expect(list.body.requests.find((r: { requestId: string }) => r.requestId === pending.requestId)).toMatchObject({ approvals: 0 });
    });

    it('policies: bad strings and keys anywhere in the document are 400', async () => {
      const keyId = keys['a-auto']!.keyId;
      for (const s of BAD) {
        const docs = [
          { keys: [keyId], rules: { claim: 'identity.x', equals: s }, approval: { mode: 'auto' } },
          { keys: [keyId], rules: { claim: `identity.${s}`, exists: true }, approval: { mode: 'auto' } },
          { keys: [keyId], rules: { anyOf: [{ claim: 'identity.x', in: ['a', s] }] }, approval: { mode: 'auto' } },
          { keys: [keyId], rules: { claim: 'identity.x', exists: true }, approval: { mode: 'auto' }, [s]: 1 },
        ];
        for (const body of docs) refused(await h.client.call('PUT', '/v1/policies/bad-text', { token: a.admin, body }), 400);
      }
      expect((await h.client.call('GET', '/v1/policies/bad-text', { token: a.admin })).status).toBe(404);
    });

    it('issuers: bad strings in the issuer, audience and JWKS are 400', async () => {
      const { publicKey } = generateKeyPairSync('ed25519');
      const jwk = publicKey.export({ format: 'jwk' });
      for (const s of BAD) {
        const bodies = [
          { name: 'iss-bad', issuer: `https://issuer.example/${s}`, jwks: { keys: [jwk] } },
          { name: 'iss-bad', issuer: 'https://issuer.example', audience: s, jwks: { keys: [jwk] } },
          { name: 'iss-bad', issuer: 'https://issuer.example', jwks: { keys: [{ ...jwk, kid: s }] } },
          { name: 'iss-bad', issuer: 'https://issuer.example', jwks: { keys: [{ ...jwk, [s]: 'x' }] } },
        ];
        for (const body of bodies) refused(await h.client.call('POST', '/v1/issuers', { token: a.admin, body }), 400);
      }
    });

    it('enrollment: a bad device name or description is 400, and spends no use of the token', async () => {
      const e = await h.client.call('POST', '/v1/enrollment-tokens', { token: a.admin, body: { groups: ['g'], uses: 1 } });
      const token = e.body.token as string;
      const attempt = (device: Record<string, unknown>) => {
        const pair = generateKeyPairSync('ed25519');
        const jwk = pair.privateKey.export({ format: 'jwk' });
        const secretKey = new Uint8Array(Buffer.from(jwk.d!, 'base64url'));
        const pub = new Uint8Array(Buffer.from(jwk.x!, 'base64url'));
        return h.client.call('POST', '/v1/agent/enroll', {
          body: { token, publicKey: b64(pub), proof: b64(signEnrollment(token, secretKey, pub)), device },
        });
      };
      for (const s of BAD) {
        refused(await attempt({ name: `host${s}` }), 400);
        refused(await attempt({ name: 'host', os: s }), 400);
        refused(await attempt({ name: 'host', [`k${s}`]: 'v' }), 400);
      }
      expect((await attempt({ name: 'host' })).status).toBe(201);
    });

    it('path parameters and query strings: 400', async () => {
      refused(await h.client.call('GET', '/v1/policies/a%00b', { token: a.admin }), 400);
      refused(await h.client.call('GET', '/v1/requests?status=%00', { token: a.admin }), 400);
      refused(await h.client.call('GET', '/v1/audit/segment?before=2020-01-01%00', { token: a.auditor }), 400);
      refused(await h.client.call('GET', `/v1/keys/${keys['a-auto']!.keyId}/public?version=1%ED%A0%80`, { token: a.admin }), 400);
    });

    it('an approved request refused at collection (its version retired meanwhile) is recorded', async () => {
      const k = await makeKey(a, 'a-manual-2', {
        rules: { claim: 'device.id', exists: true },
        approval: { mode: 'manual', approvers: 2, ttlSeconds: 600 },
      });
      const agent = await BrokerAgent.load({ stateDir: await enroll(a, 'collector') });
      let requestId: string | undefined;
      try {
        await agent.unwrap(await seal(k), { resource: `luks2:${volume}` });
      } catch (err) {
        requestId = (err as { requestId?: string }).requestId;
      }
      expect(requestId).toMatch(/^req_/);
      expect((await h.client.call('POST', `/v1/requests/${requestId}/approve`, { token: a.approver1 })).status).toBe(200);
      expect((await h.client.call('POST', `/v1/requests/${requestId}/approve`, { token: a.approver2 })).body.status).toBe('approved');
      expect((await h.client.call('POST', `/v1/keys/${k.keyId}/rotate`, { token: a.admin })).status).toBe(200);
      expect((await h.client.call('POST', `/v1/keys/${k.keyId}/retire`, { token: a.admin, body: { version: 1 } })).status).toBe(200);
      await expect(agent.collect(requestId!)).rejects.toMatchObject({ code: 'ERR_FORBIDDEN' });
      agent.close();
      const rec = (await records(a)).records.filter((r) => r.requestId === requestId && r.action === 'key.deny');
      expect(rec).toEqual([
        expect.objectContaining({
          actor: agent.deviceId,
          outcome: 'denied',
          target: `${k.keyId}/1`,
          reasons: expect.objectContaining({ code: 'ERR_FORBIDDEN' }),
        }),
      ]);
    });

    it('a failed rewrap is recorded', async () => {
      const k = await makeKey(a, 'a-rewrap');
      const sealed = await seal(k);
      const rewrap = (body: Record<string, unknown>) =>
        h.client.call('POST', `/v1/keys/${k.keyId}/rewrap`, {
          token: a.admin,
          body: { kind: 'luks2', version: 1, enc: b64(sealed.enc), ciphertext: b64(sealed.ciphertext), ...body },
        });
      refused(await rewrap({ resource: `luks2:${randomUUID()}` }), 400, 'ERR_AUTH');
      refused(await rewrap({ version: 7 }), 404, 'ERR_NOT_FOUND');
      expect((await rewrap({ resource: `luks2:${volume}` })).status).toBe(200);
      const rec = (await records(a)).records.filter(
        (r) => r.action === 'key.rewrap' && (r.target === null || r.target.startsWith(k.keyId)),
      );
      expect(rec.map((r) => [r.outcome, r.reasons?.code ?? null])).toEqual([
        ['failure', 'ERR_AUTH'],
        ['failure', 'ERR_NOT_FOUND'],
        ['success', null],
      ]);
    });

    it('dates and numbers beyond what the database takes: 400', async () => {
      for (const before of [
        '0000-01-01',
        '0001-01-01',
        '1969-12-31',
        '+275760-09-13',
        '-271821-04-20',
        '2026-02-31',
        '9999-12-31T24:00:00Z',
        'yesterday-ish',
        '2026-13-01',
      ]) {
        refused(await h.client.call('GET', `/v1/audit/segment?before=${encodeURIComponent(before)}`, { token: a.auditor }), 400);
      }
      expect((await h.client.call('GET', '/v1/audit/segment?before=2001-01-01', { token: a.auditor })).status).toBe(200);
      for (const raw of ['{"through":1e300}', '{"through":1e400}', '{"through":9223372036854775808}', '{"through":-1}']) {
        refused(await h.client.call('POST', '/v1/audit/archive', { token: a.auditor, raw }), 400);
      }
      // Numbers beyond a double anywhere in a body, and nesting deeper than any route takes.
      refused(
        await h.client.call('PUT', '/v1/policies/big', {
          token: a.admin,
          raw: '{"keys":["k"],"rules":{"claim":"identity.x","equals":1e400}}',
        }),
        400,
      );
      refused(
        await h.client.call('PUT', '/v1/policies/deep', {
          token: a.admin,
          raw: `{"keys":["k"],"rules":${'['.repeat(5000)}${']'.repeat(5000)}}`,
        }),
        400,
      );
    });

    it("the framework's refusals answer in our shape", async () => {
      const http = new PinnedHttps(h.ca);
      try {
        refused((await http.send('GET', `${h.url}/v1/keys/%zz/public`, {})) as any, 400);
        refused((await http.send('GET', `${h.url}/v1/policies/%E0%A4%A`, { authorization: `Bearer ${a.admin}` })) as any, 400);
        refused((await http.send('GET', `${h.url}/v1/keys/key_${'a'.repeat(200)}/public`, {})) as any, 414);
        refused((await http.send('GET', `${h.url}/v1/health?x=${'a'.repeat(20_000)}`, {})) as any, 431);
      } finally {
        http.close();
      }
      refused(await h.client.call('POST', '/v1/keys', { token: a.admin, raw: '{"name":' }), 400);
      refused(
        await h.client.call('POST', '/v1/keys', { token: a.admin, raw: 'name=x', contentType: 'application/x-www-form-urlencoded' }),
        415,
      );
      refused(await h.client.call('POST', '/v1/keys', { token: a.admin, raw: '{"name":"x"}', contentType: 'text/plain' }), 415);
      refused(await h.client.call('POST', '/v1/keys', { token: a.admin, raw: '<name>x</name>', contentType: 'application/xml' }), 415);
      refused(await h.client.call('POST', '/v1/keys', { token: a.admin, raw: JSON.stringify({ name: 'x'.repeat(70_000) }) }), 413);
      refused(await h.client.call('POST', '/v1/keys', { token: a.admin, raw: '' }), 400);
      // A request line Node's parser refuses, on the socket.
      const raw = await new Promise<string>((resolve, reject) => {
        const u = new URL(h.url);
        const s = connect({ host: u.hostname, port: Number(u.port), ca: h.ca, checkServerIdentity: () => undefined }, () =>
          s.write('GET /v1/health HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n'),
        );
        let got = '';
        s.on('data', (c: Buffer) => (got += c.toString()));
        s.on('end', () => resolve(got));
        s.on('close', () => resolve(got));
        s.on('error', reject);
      });
      expect(raw).toMatch(/^HTTP\/1\.1 400 /);
      expect(JSON.parse(raw.slice(raw.indexOf('\r\n\r\n') + 4))).toEqual({ error: { code: 'ERR_ARGUMENT', message: expect.any(String) } });
    });
  });
}
