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
import { BrokerAgent } from '../../../src/agent/index.js';
import { SectorCryptError } from '../../../src/errors.js';
import { PinnedHttps } from '../../../src/agent/https.js';
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
  const enroll = (token: string, stateDir: string, name = 'undo-1') => BrokerAgent.enroll({ url: h.url, ca: h.ca, token, stateDir, device: { name } });

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
      const err = await enroll(token, dir).then(() => undefined, (e: SectorCryptError) => e);
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
      const err = await enroll(token, '/dev/null/state').then(() => undefined, (e: SectorCryptError) => e);
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
      const selfRevoked = (await records()).filter((r) => r.action === 'device.revoke' && r.actor === r.target && made.some((d) => d.deviceId === r.actor));
      expect(selfRevoked.map((r) => r.actor).sort()).toEqual(made.filter((d) => d.revokedAt !== null).map((d) => d.deviceId).sort());
      for (const r of results) {
        if (r.status === 'rejected') expect((r.reason as Error).message).toMatch(/the enrollment token was not used|the device revoked itself/);
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
}

