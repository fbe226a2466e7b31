/**
 * Enrollment and the release protocol end to end, over real HTTPS (run on each store) with
 * the generated CA: auto release, denial with reasons, manual approval by distinct people,
 * expiry, replay, clock skew, revoked devices, retired versions.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, readFile, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { BrokerAgent } from '../../../src/agent/index.js';
import { signRequest } from '../../../src/http-signature/index.js';
import { hpkeSeal } from '../../../src/keys/hpke.js';
import { SectorCryptError } from '../../../src/errors.js';
import { makeTenant, operatorAdmin, type Clock, type Harness } from '../helpers.js';
import { makePki } from '../../../src/broker/data-dir/tls.js';
import { openCheckpoint, verifyExport } from '../../../src/audit/index.js';
import { exportLog } from './audit-log.js';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey } from 'jose';

export function releaseSuite(harness: () => Harness, clock: Clock): void {
  let h: Harness;
  let t: Awaited<ReturnType<typeof makeTenant>>;
  let keyId: string;
  let publicKey: Uint8Array;
  let enrollToken: string;

  const te = new TextEncoder();
  const volume = randomUUID();

  async function sealLuks2(secret: Uint8Array, version = 1, pub = publicKey, id = keyId, uuid = volume) {
    const s = await hpkeSeal('x25519', pub, te.encode('sectorcrypt-luks2/v1 broker'), te.encode(`${id}/${version}/${uuid}`), secret);
    return { keyId: id, version, enc: s.enc, ciphertext: s.ciphertext };
  }

  async function enroll(token = enrollToken, name = 'db-1') {
    const stateDir = join(await mkdtemp(join(tmpdir(), 'sc-agent-')), 'state');
    await BrokerAgent.enroll({ url: h.url, ca: h.ca, token, stateDir, device: { name } });
    return stateDir;
  }

  const goodClaims = { identity: { region: 'eu-west-1', bootTime: new Date().toISOString() }, integrity: { firewall: true } };

  async function caught(p: Promise<unknown>): Promise<SectorCryptError & { reasons?: any[]; requestId?: string }> {
    try {
      await p;
    } catch (err) {
      return err as SectorCryptError;
    }
    throw new Error('expected a rejection');
  }

  beforeAll(async () => {
    h = harness();
    t = await makeTenant(h);
    const k = await h.client.call('POST', '/v1/keys', { token: t.admin, body: { name: 'prod-volumes' } });
    keyId = k.body.keyId;
    publicKey = new Uint8Array(Buffer.from(k.body.publicKey, 'base64'));
    const e = await h.client.call('POST', '/v1/enrollment-tokens', { token: t.admin, body: { groups: ['prod-db'], uses: 50 } });
    expect(e.status).toBe(201);
    enrollToken = e.body.token;
    const p = await h.client.call('PUT', '/v1/policies/prod-db-volumes', {
      token: t.admin,
      body: {
        keys: [keyId],
        devices: { groups: ['prod-db'] },
        rules: {
          allOf: [
            { claim: 'identity.region', in: ['eu-west-1', 'eu-central-1'] },
            { claim: 'integrity.firewall', equals: true },
            { claim: 'identity.bootTime', maxAgeSeconds: 900 },
            { not: { claim: 'request.ip', cidr: '10.66.0.0/16' } },
          ],
        },
        approval: { mode: 'auto' },
      },
    });
    expect(p.status, JSON.stringify(p.body)).toBe(200);
  }, 120_000);

  describe('enrollment', () => {
    it('keeps the device key 0600 in a 0700 folder and takes the groups from the token', async () => {
      const dir = await enroll();
      expect((await stat(join(dir, 'device.key'))).mode & 0o777).toBe(0o600);
      expect((await stat(dir)).mode & 0o777).toBe(0o700);
      const agent = await BrokerAgent.load({ stateDir: dir });
      expect(agent.groups).toEqual(['prod-db']);
      expect(agent.deviceId).toMatch(/^dev_/);
      agent.close();
    });

    it('refuses a used-up token, an unknown token and a bad proof of possession', async () => {
      const once = await h.client.call('POST', '/v1/enrollment-tokens', { token: t.admin, body: { groups: ['g'] } });
      await enroll(once.body.token);
      expect((await caught(enroll(once.body.token))).code).toBe('ERR_UNAUTHENTICATED');
      expect((await caught(enroll('sce_' + 'x'.repeat(43)))).code).toBe('ERR_UNAUTHENTICATED');
      const fresh = await h.client.call('POST', '/v1/enrollment-tokens', { token: t.admin, body: { groups: ['g'] } });
      const r = await h.client.call('POST', '/v1/agent/enroll', {
        body: {
          token: fresh.body.token,
          publicKey: Buffer.alloc(32, 1).toString('base64'),
          proof: Buffer.alloc(64).toString('base64'),
          device: { name: 'x' },
        },
      });
      expect(r.status).toBe(401);
    });

    it('--group / expectGroups checks the token: a group it does not grant enrolls nothing and spends no use', async () => {
      const e = await h.client.call('POST', '/v1/enrollment-tokens', { token: t.admin, body: { groups: ['prod-db', 'eu'], uses: 1 } });
      const stateDir = join(await mkdtemp(join(tmpdir(), 'sc-agent-')), 's');
      const refused = await caught(
        BrokerAgent.enroll({
          url: h.url,
          ca: h.ca,
          token: e.body.token,
          stateDir,
          device: { name: 'x' },
          expectGroups: ['prod-db', 'admin-hosts'],
        }),
      );
      expect(refused.code).toBe('ERR_FORBIDDEN');
      expect(refused.message).toContain('does not grant the group admin-hosts');
      await expect(stat(stateDir)).rejects.toMatchObject({ code: 'ENOENT' });
      // The one use is still there; the groups are the token's, a subset expected is fine.
      const agent = await BrokerAgent.enroll({
        url: h.url,
        ca: h.ca,
        token: e.body.token,
        stateDir,
        device: { name: 'x' },
        expectGroups: ['eu'],
      });
      expect(agent.groups).toEqual(['prod-db', 'eu']);
      agent.close();
    });

    it('an agent trusts only the pinned CA', async () => {
      // The broker's certificate is valid for 127.0.0.1, but this agent pins another CA.
      const stranger = (await makePki([])).caPem;
      const e = await caught(
        BrokerAgent.enroll({
          url: h.url,
          ca: stranger,
          token: enrollToken,
          stateDir: join(await mkdtemp(join(tmpdir(), 'sc-agent-')), 's'),
          device: { name: 'x' },
        }),
      );
      expect(e.code).toBe('ERR_IO');
    });
  });

  describe('release', () => {
    it('releases a LUKS2 secret when the policy allows it, sealed to the reply key', async () => {
      const agent = await BrokerAgent.load({ stateDir: await enroll(), claims: goodClaims });
      const secret = new Uint8Array(32).map((_, i) => i);
      const got = await agent.unwrap(await sealLuks2(secret), { resource: `luks2:${volume}` });
      expect(Buffer.from(got).equals(Buffer.from(secret))).toBe(true);
      agent.close();
    });

    it('concurrent releases commit in batches: each answer has its own record, seqs stay gapless and the tree verifies', async () => {
      const agents = await Promise.all(
        [0, 1, 2, 3].map(async (i) => BrokerAgent.load({ stateDir: await enroll(enrollToken, `batch-${i}`), claims: goodClaims })),
      );
      const secret = new Uint8Array(32).fill(9);
      const sealed = await sealLuks2(secret);
      const got = await Promise.all(Array.from({ length: 24 }, (_, i) => agents[i % 4]!.unwrap(sealed, { resource: `luks2:${volume}` })));
      for (const g of got) expect(Buffer.from(g).equals(Buffer.from(secret))).toBe(true);
      for (const a of agents) a.close();
      const cp = await h.client.call('GET', '/v1/audit/checkpoint', { token: t.auditor });
      const { lines, records } = await exportLog(h, t.auditor);
      expect(records.map((r) => r.seq)).toEqual(records.map((_, i) => i));
      const releases = records.filter((r) => r.action === 'key.release' && agents.some((a) => a.deviceId === r.actor));
      expect(releases).toHaveLength(24);
      expect(new Set(releases.map((r) => r.requestId)).size).toBe(24);
      expect(
        await verifyExport(
          lines.slice(0, openCheckpoint(cp.body.checkpoint, cp.body.verifierKey).size),
          cp.body.checkpoint,
          cp.body.verifierKey,
        ),
      ).toMatchObject({ start: 0 });
    });

    it('one signed release sent eight times at once (one admission batch) is released once; the others are replays', async () => {
      const dir = await enroll();
      const device = JSON.parse(await readFile(join(dir, 'device.json'), 'utf8'));
      const secretKey = new Uint8Array(await readFile(join(dir, 'device.key')));
      const sealed = await sealLuks2(new Uint8Array(32).fill(3));
      const body = Buffer.from(
        JSON.stringify({
          kind: 'luks2',
          keyId,
          version: 1,
          enc: Buffer.from(sealed.enc).toString('base64'),
          ciphertext: Buffer.from(sealed.ciphertext).toString('base64'),
          resource: `luks2:${volume}`,
          claims: goodClaims,
          replyKey: Buffer.from(new Uint8Array(32).fill(7)).toString('base64'),
        }),
      );
      const url = `${h.url}/v1/agent/unwrap`;
      const headers = {
        ...signRequest({ method: 'POST', url, body, keyId: device.deviceId, secretKey }),
        'content-type': 'application/json',
      };
      const { PinnedHttps } = await import('../../../src/agent/https.js');
      const http = new PinnedHttps(h.ca);
      try {
        const answers = await Promise.all(Array.from({ length: 8 }, () => http.send('POST', url, headers, body)));
        expect(answers.filter((a) => a.status === 200)).toHaveLength(1);
        const refused = answers.filter((a) => a.status !== 200);
        expect(refused.map((a) => [a.status, (a.body as any).error.code])).toEqual(Array(7).fill([401, 'ERR_REPLAY']));
      } finally {
        http.close();
      }
    });

    it('opens an envelope broker stanza through the identity hook', async () => {
      const agent = await BrokerAgent.load({ stateDir: await enroll(), claims: goodClaims });
      const fileKey = new Uint8Array(32).fill(0x5c);
      const s = await hpkeSeal('x25519', publicKey, te.encode('sectorcrypt-envelope/v1 broker'), te.encode(`${keyId}/1`), fileKey);
      const got = await agent.unwrapBrokerStanza(
        { keyId, version: 1, enc: s.enc, ciphertext: s.ciphertext },
        'envelope:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
      );
      expect(Buffer.from(got).equals(Buffer.from(fileKey))).toBe(true);
      // The same stanza named as a LUKS2 token does not open (other info and aad).
      expect((await caught(agent.unwrap({ keyId, version: 1, ...s }, { resource: `luks2:${volume}` }))).code).toBe('ERR_AUTH');
      agent.close();
    });

    it('denies with the reasons of every failed leaf', async () => {
      const agent = await BrokerAgent.load({
        stateDir: await enroll(),
        claims: { identity: { region: 'us-east-1', bootTime: new Date().toISOString() } },
      });
      const e = await caught(agent.unwrap(await sealLuks2(new Uint8Array(32)), { resource: `luks2:${volume}` }));
      expect(e.code).toBe('ERR_DENIED');
      const claims = e.reasons!.map((r) => r.claim).sort();
      expect(claims).toEqual(['identity.region', 'integrity.firewall']);
      const fw = e.reasons!.find((r) => r.claim === 'integrity.firewall');
      expect(fw.actual).toBe('missing');
      expect(fw.policy).toBe('prod-db-volumes');
      agent.close();
    });

    it('a token moved to another volume does not open', async () => {
      const agent = await BrokerAgent.load({ stateDir: await enroll(), claims: goodClaims });
      const e = await caught(agent.unwrap(await sealLuks2(new Uint8Array(32)), { resource: `luks2:${randomUUID()}` }));
      expect(e.code).toBe('ERR_AUTH');
      agent.close();
    });

    it('no bound policy: denied with "no policy"', async () => {
      const k2 = await h.client.call('POST', '/v1/keys', { token: t.admin, body: { name: 'unbound' } });
      const pub = new Uint8Array(Buffer.from(k2.body.publicKey, 'base64'));
      const agent = await BrokerAgent.load({ stateDir: await enroll(), claims: goodClaims });
      const e = await caught(agent.unwrap(await sealLuks2(new Uint8Array(32), 1, pub, k2.body.keyId), { resource: `luks2:${volume}` }));
      expect(e.code).toBe('ERR_DENIED');
      expect(e.reasons![0].rule).toBe('no policy');
      agent.close();
    });

    it('refuses a replayed signed request, a stale signature and a revoked device', async () => {
      const dir = await enroll();
      const device = JSON.parse(await readFile(join(dir, 'device.json'), 'utf8'));
      const secretKey = new Uint8Array(await readFile(join(dir, 'device.key')));
      const url = `${h.url}/v1/keys/${keyId}/public`;
      const headers = signRequest({ method: 'GET', url, body: new Uint8Array(), keyId: device.deviceId, secretKey });
      const { PinnedHttps } = await import('../../../src/agent/https.js');
      const http = new PinnedHttps(h.ca);
      try {
        expect((await http.send('GET', url, headers as Record<string, string>)).status).toBe(200);
        const replay = await http.send('GET', url, headers as Record<string, string>);
        expect(replay.status).toBe(401);
        expect((replay.body as any).error.code).toBe('ERR_REPLAY');
        const stale = signRequest({
          method: 'GET',
          url,
          body: new Uint8Array(),
          keyId: device.deviceId,
          secretKey,
          created: Math.floor(Date.now() / 1000) - 1000,
        });
        expect(((await http.send('GET', url, stale as Record<string, string>)).body as any).error.code).toBe('ERR_UNAUTHENTICATED');
        // Revoke, then the same device is refused.
        expect((await h.client.call('POST', `/v1/devices/${device.deviceId}/revoke`, { token: t.admin })).status).toBe(200);
        const after = signRequest({ method: 'GET', url, body: new Uint8Array(), keyId: device.deviceId, secretKey });
        const refused = await http.send('GET', url, after as Record<string, string>);
        expect(refused.status).toBe(403);
        expect((refused.body as any).error.code).toBe('ERR_FORBIDDEN');
      } finally {
        http.close();
      }
    });

    it('refuses a retired version', async () => {
      const k = await h.client.call('POST', '/v1/keys', { token: t.admin, body: { name: 'rotating' } });
      const pub1 = new Uint8Array(Buffer.from(k.body.publicKey, 'base64'));
      await h.client.call('POST', `/v1/keys/${k.body.keyId}/rotate`, { token: t.admin });
      await h.client.call('POST', `/v1/keys/${k.body.keyId}/retire`, { token: t.admin, body: { version: 1 } });
      const agent = await BrokerAgent.load({ stateDir: await enroll(), claims: goodClaims });
      const e = await caught(agent.unwrap(await sealLuks2(new Uint8Array(32), 1, pub1, k.body.keyId), { resource: `luks2:${volume}` }));
      expect(e.code).toBe('ERR_FORBIDDEN');
      // The refusal has its record too.
      const log = await h.client.call('GET', '/v1/audit?limit=1000', { token: t.auditor });
      const rec = log.body.records.filter((r: any) => r.action === 'key.deny' && r.target === `${k.body.keyId}/1`);
      expect(rec.map((r: any) => r.reasons.code)).toEqual(['ERR_FORBIDDEN']);
      agent.close();
    });
  });

  describe('destroy', () => {
    it('takes a second admin; afterwards nothing sealed to the key opens', async () => {
      const k = await h.client.call('POST', '/v1/keys', { token: t.admin, body: { name: 'doomed' } });
      const pub = new Uint8Array(Buffer.from(k.body.publicKey, 'base64'));
      const p = await h.client.call('PUT', '/v1/policies/doomed', {
        token: t.admin,
        body: {
          keys: [k.body.keyId],
          devices: { groups: ['prod-db'] },
          rules: { claim: 'integrity.firewall', equals: true },
          approval: { mode: 'auto' },
        },
      });
      expect(p.status, JSON.stringify(p.body)).toBe(200);
      const agent = await BrokerAgent.load({ stateDir: await enroll(), claims: goodClaims });
      const sealed = await sealLuks2(new Uint8Array(32).fill(5), 1, pub, k.body.keyId);
      expect((await agent.unwrap(sealed, { resource: `luks2:${volume}` }))[0]).toBe(5);

      const second = await operatorAdmin(h, t.tenantId, `admin2-${k.body.keyId.slice(-6)}`);
      const ask = await h.client.call('POST', `/v1/keys/${k.body.keyId}/destroy`, { token: t.admin });
      expect(ask.status).toBe(202);
      const self = await h.client.call('POST', `/v1/actions/${ask.body.actionId}/confirm`, { token: t.admin });
      expect(self.body.error.code).toBe('ERR_FORBIDDEN');
      expect((await agent.unwrap(sealed, { resource: `luks2:${volume}` }))[0]).toBe(5);
      const ok = await h.client.call('POST', `/v1/actions/${ask.body.actionId}/confirm`, { token: second });
      expect(ok.status).toBe(200);
      expect((await caught(agent.unwrap(sealed, { resource: `luks2:${volume}` }))).code).toBe('ERR_NOT_FOUND');
      const again = await h.client.call('POST', `/v1/actions/${ask.body.actionId}/confirm`, { token: second });
      expect(again.body.error.code).toBe('ERR_CONFLICT');
      // The tenant goes back to one admin for the tests after this one: the second asks to
      // leave, the first confirms.
      const me = (await h.client.call('GET', '/v1/users', { token: second })).body.users.find(
        (u: { name: string }) => u.name.startsWith('admin2-') && u.name.endsWith(k.body.keyId.slice(-6)),
      );
      const leave = await h.client.call('POST', `/v1/users/${me.userId}/disable`, { token: second });
      expect(leave.status).toBe(202);
      expect((await h.client.call('POST', `/v1/actions/${leave.body.actionId}/confirm`, { token: t.admin })).status).toBe(200);
      agent.close();
    });
  });

  describe('attestations', () => {
    it('releases on a verified attestation claim; refuses a token from an untrusted key', async () => {
      const issuerKey = await generateKeyPair('ES256', { extractable: true });
      const stranger = await generateKeyPair('ES256', { extractable: true });
      const jwk = { ...(await exportJWK(issuerKey.publicKey)), kid: 'c1', alg: 'ES256' };
      const iss = await h.client.call('POST', '/v1/issuers', {
        token: t.admin,
        body: { name: 'cloud', issuer: 'https://cloud.example', audience: 'broker', jwks: { keys: [jwk] } },
      });
      expect(iss.status, JSON.stringify(iss.body)).toBe(201);
      const k = await h.client.call('POST', '/v1/keys', { token: t.admin, body: { name: 'attested' } });
      const pub = new Uint8Array(Buffer.from(k.body.publicKey, 'base64'));
      const p = await h.client.call('PUT', '/v1/policies/attested', {
        token: t.admin,
        body: {
          keys: [k.body.keyId],
          devices: { groups: ['prod-db'] },
          rules: { claim: 'attested.cloud.instance.id', equals: 'i-42' },
          approval: { mode: 'auto' },
        },
      });
      expect(p.status, JSON.stringify(p.body)).toBe(200);
      const jwt = (key: CryptoKey) =>
        new SignJWT({ instance: { id: 'i-42' } })
          .setProtectedHeader({ alg: 'ES256', kid: 'c1' })
          .setIssuer('https://cloud.example')
          .setAudience('broker')
          .setIssuedAt()
          .setExpirationTime('5m')
          .sign(key);
      const dir = await enroll();
      const secret = new Uint8Array(32).fill(3);
      const good = await BrokerAgent.load({ stateDir: dir, attestations: async () => [await jwt(issuerKey.privateKey)] });
      expect(
        Buffer.from(await good.unwrap(await sealLuks2(secret, 1, pub, k.body.keyId), { resource: `luks2:${volume}` })).equals(
          Buffer.from(secret),
        ),
      ).toBe(true);
      good.close();
      const none = await BrokerAgent.load({ stateDir: dir });
      const denied = await caught(none.unwrap(await sealLuks2(secret, 1, pub, k.body.keyId), { resource: `luks2:${volume}` }));
      expect(denied.code).toBe('ERR_DENIED');
      expect(denied.reasons![0].claim).toBe('attested.cloud.instance.id');
      none.close();
      const forged = await BrokerAgent.load({ stateDir: dir, attestations: [await jwt(stranger.privateKey)] });
      expect((await caught(forged.unwrap(await sealLuks2(secret, 1, pub, k.body.keyId), { resource: `luks2:${volume}` }))).code).toBe(
        'ERR_UNAUTHENTICATED',
      );
      forged.close();
    });
  });

  describe('manual approval', () => {
    let manualKey: string;
    let manualPub: Uint8Array;
    beforeAll(async () => {
      const k = await h.client.call('POST', '/v1/keys', { token: t.admin, body: { name: 'manual' } });
      manualKey = k.body.keyId;
      manualPub = new Uint8Array(Buffer.from(k.body.publicKey, 'base64'));
      const p = await h.client.call('PUT', '/v1/policies/manual', {
        token: t.admin,
        body: {
          keys: [manualKey],
          devices: { groups: ['prod-db'] },
          rules: { claim: 'integrity.firewall', equals: true },
          approval: { mode: 'manual', approvers: 2, ttlSeconds: 60 },
        },
      });
      expect(p.status, JSON.stringify(p.body)).toBe(200);
    });

    it('pends, needs two distinct approvers, then releases to the waiting agent', async () => {
      const agent = await BrokerAgent.load({ stateDir: await enroll(), claims: goodClaims });
      const secret = new Uint8Array(32).fill(9);
      const sealed = await sealLuks2(secret, 1, manualPub, manualKey);
      const pending = await caught(agent.unwrap(sealed, { resource: `luks2:${volume}` }));
      expect(pending.code).toBe('ERR_PENDING');
      expect(pending.requestId).toMatch(/^req_/);

      // Asked again with wait, the agent resumes that request (pending.json): approvers see one card.
      const waiting = agent.unwrap(sealed, { resource: `luks2:${volume}`, wait: true, pollMs: 50, timeoutMs: 30_000 });
      const list = await h.client.call('GET', '/v1/requests?status=pending', { token: t.approver1 });
      expect(
        list.body.requests
          .filter((r: { resource: string }) => r.resource === `luks2:${volume}`)
          .map((r: { requestId: string }) => r.requestId),
      ).toEqual([pending.requestId]);
      const id = pending.requestId;
      expect((await h.client.call('POST', `/v1/requests/${id}/approve`, { token: t.admin })).status).toBe(403);
      const first = await h.client.call('POST', `/v1/requests/${id}/approve`, { token: t.approver1 });
      expect(first.body.status).toBe('pending');
      const again = await h.client.call('POST', `/v1/requests/${id}/approve`, { token: t.approver1 });
      expect(again.body.error.code).toBe('ERR_CONFLICT');
      const second = await h.client.call('POST', `/v1/requests/${id}/approve`, { token: t.approver2 });
      expect(second.body.status).toBe('approved');
      const got = await waiting;
      expect(Buffer.from(got).equals(Buffer.from(secret))).toBe(true);
      // Settled, so the next ask files a new request; left pending without wait, it is collected later by its id.
      const later = await caught(agent.unwrap(sealed, { resource: `luks2:${volume}` }));
      expect(later.code).toBe('ERR_PENDING');
      expect(later.requestId).not.toBe(id);
      await h.client.call('POST', `/v1/requests/${later.requestId}/approve`, { token: t.approver1 });
      expect((await caught(agent.collect(later.requestId!))).code).toBe('ERR_PENDING');
      await h.client.call('POST', `/v1/requests/${later.requestId}/approve`, { token: t.approver2 });
      expect(Buffer.from(await agent.collect(later.requestId!)).equals(Buffer.from(secret))).toBe(true);
      expect((await caught(agent.collect(later.requestId!))).code).toBe('ERR_NOT_FOUND');
      agent.close();
    });

    it('one deny ends a waiting request with ERR_DENIED', async () => {
      const agent = await BrokerAgent.load({ stateDir: await enroll(), claims: goodClaims });
      const sealed = await sealLuks2(new Uint8Array(32), 1, manualPub, manualKey);
      const waiting = caught(agent.unwrap(sealed, { resource: `luks2:${volume}`, wait: true, pollMs: 50, timeoutMs: 30_000 }));
      let id: string | undefined;
      for (let i = 0; i < 100 && !id; i++) {
        const list = await h.client.call('GET', '/v1/requests?status=pending', { token: t.approver2 });
        id = list.body.requests.find((r: { deviceId: string }) => r.deviceId === agent.deviceId)?.requestId;
        if (!id) await new Promise((r) => setTimeout(r, 50));
      }
      expect((await h.client.call('POST', `/v1/requests/${id}/deny`, { token: t.approver1 })).body.status).toBe('denied');
      const e = await waiting;
      expect(e.code).toBe('ERR_DENIED');
      expect(e.reasons![0].rule).toBe('approval');
      agent.close();
    });

    it('an expired request takes no approval and answers ERR_EXPIRED', async () => {
      const agent = await BrokerAgent.load({ stateDir: await enroll(), claims: goodClaims });
      const e = await caught(agent.unwrap(await sealLuks2(new Uint8Array(32), 1, manualPub, manualKey), { resource: `luks2:${volume}` }));
      clock.offsetMs = 120_000; // past the 60 s ttl, within the 300 s signature skew
      try {
        const r = await h.client.call('POST', `/v1/requests/${e.requestId}/approve`, { token: t.approver1 });
        expect(r.body.error.code).toBe('ERR_EXPIRED');
      } finally {
        clock.offsetMs = 0;
      }
      agent.close();
    });
  });

  describe('audit of releases', () => {
    it('every decision has its record, with its trace', async () => {
      const r = await h.client.call('GET', '/v1/audit?limit=1000', { token: t.auditor });
      const byAction = (a: string) => r.body.records.filter((x: { action: string }) => x.action === a);
      expect(byAction('key.release').length).toBeGreaterThanOrEqual(2);
      expect(byAction('request.pending').length).toBeGreaterThanOrEqual(3);
      expect(byAction('request.approve').length).toBe(4);
      const deny = byAction('key.deny').find((x: any) => x.reasons.trace?.some((t: any) => t.claim === 'identity.region'));
      expect(deny).toBeDefined();
      for (const rec of byAction('key.release')) expect(rec.requestId).toMatch(/^req_/);
    });

    it('records a revoked device still asking and a spent enrollment token; no record holds a token', async () => {
      const r = await h.client.call('GET', '/v1/audit?limit=1000', { token: t.auditor });
      const records = r.body.records as any[];
      expect(records.find((x) => x.action === 'agent.refused')).toMatchObject({
        actor: expect.stringMatching(/^dev_/),
        outcome: 'denied',
        reasons: { code: 'ERR_FORBIDDEN', why: 'device revoked' },
      });
      expect(records.find((x) => x.action === 'agent.enroll' && x.outcome === 'failure')).toMatchObject({
        actor: 'broker',
        reasons: { code: 'ERR_UNAUTHENTICATED', why: 'used up' },
      });
      const text = JSON.stringify(r.body);
      for (const secret of [enrollToken, t.admin, t.approver1, t.auditor]) expect(text).not.toContain(secret.slice(4));
      expect(text).not.toMatch(/sc[et]_[A-Za-z0-9_-]{40}/);
    });
  });
}
