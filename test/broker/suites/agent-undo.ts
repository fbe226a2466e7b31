/**
 * An agent undoing its own work (run on each store): an enrollment never half-happens (a used
 * or unwritable state folder spends no token; an enrollment whose state cannot be written
 * revokes its device with the device's own key), and a waiting agent withdraws its request
 * (a signed call: approvers no longer see it, the log records it).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { BrokerAgent } from '../../../src/agent/index.js';
import { SectorCryptError } from '../../../src/errors.js';
import { PinnedHttps } from '../../../src/agent/https.js';
import { hpkeSeal } from '../../../src/keys/hpke.js';
import { makeTenant, type Harness } from '../helpers.js';

export function agentUndoSuite(harness: () => Harness): void {
  let h: Harness;
  let t: Awaited<ReturnType<typeof makeTenant>>;

  const admin = async (method: string, path: string, body?: unknown) => {
    const a = await h.client.call(method, path, { token: t.admin, body });
    if (a.status >= 300) throw new Error(`${method} ${path}: ${a.status} ${JSON.stringify(a.body)}`);
    return a.body;
  };
  const newToken = async (uses: number) => (await admin('POST', '/v1/enrollment-tokens', { groups: ['undo'], uses })).token as string;
  const devices = async () => (await admin('GET', '/v1/devices')).devices as { deviceId: string; revokedAt: string | null }[];
  const records = async () => (await h.client.call('GET', '/v1/audit?limit=1000', { token: t.auditor })).body.records as any[];
  const enroll = (token: string, stateDir: string, name = 'undo-1') =>
    BrokerAgent.enroll({ url: h.url, ca: h.ca, token, stateDir, device: { name } });

  beforeAll(async () => {
    h = harness();
    t = await makeTenant(h);
  });

  describe('enrollment never half-happens', () => {
    it('an enroll into a folder that already holds an agent is refused before the token is spent', async () => {
      const dir = join(await mkdtemp(join(tmpdir(), 'sc-undo-')), 'state');
      (await enroll(await newToken(1), dir)).close();
      const before = await devices();
      const token = await newToken(1);
      const err = await enroll(token, dir).then(
        () => undefined,
        (e: SectorCryptError) => e,
      );
      expect(err?.code).toBe('ERR_EXISTS');
      expect(err?.message).toContain('the enrollment token was not used');
      expect(await devices()).toEqual(before);
      // The token is whole: it enrolls into another folder.
      const other = await enroll(token, join(dir, '..', 'other'));
      other.close();
      expect((await devices()).length).toBe(before.length + 1);
    });

    it('a folder that cannot be made is refused before the token is spent', async () => {
      const token = await newToken(1);
      const before = await devices();
      const err = await enroll(token, '/dev/null/state').then(
        () => undefined,
        (e: SectorCryptError) => e,
      );
      expect(err?.code).toBe('ERR_IO');
      expect(await devices()).toEqual(before);
      (await enroll(token, join(await mkdtemp(join(tmpdir(), 'sc-undo-')), 'state'))).close();
    });

    it('enrolls racing into one empty folder leave one live device: a loser revokes its own', async () => {
      const dir = join(await mkdtemp(join(tmpdir(), 'sc-undo-')), 'state');
      const before = new Set((await devices()).map((d) => d.deviceId));
      const token = await newToken(4);
      const results = await Promise.allSettled([1, 2, 3, 4].map((i) => enroll(token, dir, `racer-${i}`)));
      const won = results.filter((r) => r.status === 'fulfilled') as PromiseFulfilledResult<BrokerAgent>[];
      expect(won).toHaveLength(1);
      const winner = won[0]!.value.deviceId;
      won[0]!.value.close();
      const made = (await devices()).filter((d) => !before.has(d.deviceId));
      expect(made.filter((d) => d.revokedAt === null).map((d) => d.deviceId)).toEqual([winner]);
      const selfRevoked = (await records()).filter(
        (r) => r.action === 'device.revoke' && r.actor === r.target && made.some((d) => d.deviceId === r.actor),
      );
      expect(selfRevoked.map((r) => r.actor).sort()).toEqual(
        made
          .filter((d) => d.revokedAt !== null)
          .map((d) => d.deviceId)
          .sort(),
      );
      for (const r of results) {
        if (r.status === 'rejected')
          expect((r.reason as Error).message).toMatch(/the enrollment token was not used|the device revoked itself/);
      }
      // The folder holds the winner's state and nothing else.
      expect((await readdir(dir)).sort()).toEqual(['ca.pem', 'device.json', 'device.key']);
      const loaded = await BrokerAgent.load({ stateDir: dir });
      expect(loaded.deviceId).toBe(winner);
      loaded.close();
    });

    it('POST /v1/agent/revoke needs the device signature', async () => {
      const http = new PinnedHttps(h.ca);
      try {
        const r = await http.send('POST', `${h.url}/v1/agent/revoke`, {});
        expect(r.status).toBe(401);
        expect(r.body).toMatchObject({ error: { code: expect.any(String), message: expect.any(String) } });
      } finally {
        http.close();
      }
    });
  });

  describe('a pending request is resumed, not filed twice, and withdrawn when the wait ends', () => {
    let stateDir: string;
    let sealed: { keyId: string; version: number; enc: Uint8Array; ciphertext: Uint8Array };
    let resource: string;

    beforeAll(async () => {
      const key = await admin('POST', '/v1/keys', { name: 'by-hand' });
      await admin('PUT', '/v1/policies/undo-by-hand', {
        keys: [key.keyId],
        devices: { groups: ['undo'] },
        rules: { claim: 'device.id', exists: true },
        approval: { mode: 'manual', approvers: 1, ttlSeconds: 600 },
      });
      stateDir = join(await mkdtemp(join(tmpdir(), 'sc-undo-')), 'state');
      (await enroll(await newToken(1), stateDir, 'waiter')).close();
      const uuid = randomUUID();
      resource = `luks2:${uuid}`;
      const s = await hpkeSeal(
        'x25519',
        new Uint8Array(Buffer.from(key.publicKey, 'base64')),
        new TextEncoder().encode('sectorcrypt-luks2/v1 broker'),
        new TextEncoder().encode(`${key.keyId}/1/${uuid}`),
        new Uint8Array(32).fill(7),
      );
      sealed = { keyId: key.keyId, version: 1, ...s };
    });

    const pendingIds = async () =>
      (
        (await h.client.call('GET', '/v1/requests?status=pending', { token: t.approver1 })).body.requests as {
          requestId: string;
          resource: string;
        }[]
      )
        .filter((r) => r.resource === resource)
        .map((r) => r.requestId);
    const pendingOf = async (agent: BrokerAgent, opts: { wait?: boolean; timeoutMs?: number } = {}) => {
      const err = await agent.unwrap(sealed, { resource, pollMs: 100, ...opts }).then(
        () => undefined,
        (e: SectorCryptError & { requestId?: string }) => e,
      );
      expect(err?.code).toBe('ERR_PENDING');
      return err!;
    };

    it('a second agent on the same state resumes the request; withdraw drops it from the approvers and records it', async () => {
      const first = await BrokerAgent.load({ stateDir });
      const id = (await pendingOf(first)).requestId!;
      first.close();
      const second = await BrokerAgent.load({ stateDir });
      try {
        expect((await pendingOf(second)).requestId).toBe(id);
        expect(await pendingIds()).toEqual([id]);
        expect(await second.withdraw(id)).toBe(true);
        expect(await pendingIds()).toEqual([]);
        expect(await second.withdraw(id)).toBe(false);
        const rec = (await records()).filter((r) => r.action === 'request.withdraw' && r.requestId === id);
        expect(rec).toHaveLength(1);
        expect(rec[0]).toMatchObject({ actor: second.deviceId, target: `${sealed.keyId}/1` });
        // Once withdrawn, the next ask files a new request.
        const again = (await pendingOf(second)).requestId!;
        expect(again).not.toBe(id);
        await second.withdraw(again);
      } finally {
        second.close();
      }
    });

    it('a wait that runs out withdraws its request', async () => {
      const agent = await BrokerAgent.load({ stateDir });
      try {
        const err = await pendingOf(agent, { wait: true, timeoutMs: 800 });
        expect(err.message).toMatch(/was not approved in time; it was withdrawn/);
        expect(await pendingIds()).toEqual([]);
        expect((await records()).some((r) => r.action === 'request.withdraw' && r.requestId === err.requestId)).toBe(true);
      } finally {
        agent.close();
      }
    });

    it('another device cannot withdraw the request (404), and an unsigned call is refused', async () => {
      const agent = await BrokerAgent.load({ stateDir });
      const otherDir = join(await mkdtemp(join(tmpdir(), 'sc-undo-')), 'state');
      const other = await enroll(await newToken(1), otherDir, 'other');
      try {
        const id = (await pendingOf(agent)).requestId!;
        expect(await other.withdraw(id)).toBe(false);
        expect(await pendingIds()).toEqual([id]);
        const http = new PinnedHttps(h.ca);
        try {
          const r = await http.send('POST', `${h.url}/v1/agent/requests/${id}/withdraw`, {});
          expect(r.status).toBe(401);
        } finally {
          http.close();
        }
        expect(await agent.withdraw(id)).toBe(true);
      } finally {
        agent.close();
        other.close();
      }
    });
  });
}
