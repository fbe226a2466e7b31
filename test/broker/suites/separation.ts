/**
 * Separation of duties, tried as one admin would try to get around it (docs/broker.md
 * "Separation of duties"): a lenient policy beside a strict one, deleting and re-adding a
 * policy, approvers and admins of one's own making, a second admin's removal; and locking a
 * user out: disable, every token, demotion, invitations used twice. Each attack must fail.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { BrokerAgent } from '../../../src/agent/index.js';
import { hpkeSeal } from '../../../src/keys/hpke.js';
import { makeTenant, makeUser, operatorAdmin, redeem, type Harness } from '../helpers.js';

const te = new TextEncoder();
const goodClaims = { integrity: { firewall: true } };

export function separationSuite(harness: () => Harness): void {
  let h: Harness;

  /** A tenant with a key, a manual 2-approver policy over it and an enrolled agent. */
  async function guardedKey(opts: { secondAdmin: boolean }) {
    const t = await makeTenant(h);
    const second = opts.secondAdmin ? await operatorAdmin(h, t.tenantId, 'second-admin') : undefined;
    const k = await h.client.call('POST', '/v1/keys', { token: t.admin, body: { name: 'guarded' } });
    const keyId = k.body.keyId as string;
    const strict = {
      keys: [keyId],
      devices: { groups: ['g'] },
      rules: { claim: 'integrity.firewall', equals: true },
      approval: { mode: 'manual', approvers: 2, ttlSeconds: 600 },
    };
    const put = await h.client.call('PUT', '/v1/policies/strict', { token: t.admin, body: strict });
    if (put.status === 202)
      expect((await h.client.call('POST', `/v1/actions/${put.body.actionId}/confirm`, { token: second })).status).toBe(200);
    else expect(put.status, JSON.stringify(put.body)).toBe(200);
    const e = await h.client.call('POST', '/v1/enrollment-tokens', { token: t.admin, body: { groups: ['g'], uses: 5 } });
    const stateDir = join(await mkdtemp(join(tmpdir(), 'sc-agent-')), 's');
    (await BrokerAgent.enroll({ url: h.url, ca: h.ca, token: e.body.token, stateDir, device: { name: 'dev' } })).close();
    const publicKey = new Uint8Array(Buffer.from(k.body.publicKey, 'base64'));
    /** One release attempt: 'released', or the error code (ERR_PENDING when it waits). */
    const release = async (): Promise<{ outcome: string; requestId?: string }> => {
      const uuid = randomUUID();
      const s = await hpkeSeal(
        'x25519',
        publicKey,
        te.encode('sectorcrypt-luks2/v1 broker'),
        te.encode(`${keyId}/1/${uuid}`),
        new Uint8Array(32).fill(7),
      );
      const agent = await BrokerAgent.load({ stateDir, claims: goodClaims });
      try {
        await agent.unwrap({ keyId, version: 1, enc: s.enc, ciphertext: s.ciphertext }, { resource: `luks2:${uuid}` });
        return { outcome: 'released' };
      } catch (err) {
        return { outcome: (err as { code: string }).code, requestId: (err as { requestId?: string }).requestId };
      } finally {
        agent.close();
      }
    };
    return { t, second, keyId, strict, release };
  }

  const call = (method: string, path: string, token: string | undefined, body?: unknown) => h.client.call(method, path, { token, body });
  const health = async (token: string) => (await call('GET', '/v1/health', token)).body.separation;

  beforeAll(() => {
    h = harness();
  });

  describe('two-person rules', () => {
    it('a lenient automatic policy beside a 2-approver one releases nothing at once; the trace names the strict policy', async () => {
      const g = await guardedKey({ secondAdmin: false });
      const lenient = { ...g.strict, rules: { claim: 'integrity.firewall', exists: true }, approval: { mode: 'auto' } };
      expect((await call('PUT', '/v1/policies/lenient', g.t.admin, lenient)).status).toBe(200);
      const r = await g.release();
      expect(r.outcome).toBe('ERR_PENDING');
      const log = await call('GET', '/v1/audit?limit=1000', g.t.auditor);
      const rec = log.body.records.find((x: { requestId: string | null }) => x.requestId === r.requestId);
      expect(rec.reasons.approval).toEqual({ approvers: 2, ttlSeconds: 600, policy: 'strict' });
    });

    it('with two vouched admins, deleting the manual policy and adding an automatic one each wait for the second admin', async () => {
      const g = await guardedKey({ secondAdmin: true });
      expect((await health(g.t.admin)).twoPersonRules).toBe('enforced');
      const del = await call('DELETE', '/v1/policies/strict', g.t.admin);
      expect(del.status).toBe(202);
      expect(del.body).toMatchObject({ kind: 'policy.delete', target: 'strict', reason: 'a manual policy is deleted' });
      const auto = await call('PUT', '/v1/policies/auto', g.t.admin, { ...g.strict, approval: { mode: 'auto' } });
      expect(auto.status).toBe(202);
      expect((await call('GET', '/v1/policies/strict', g.t.admin)).status).toBe(200);
      expect((await call('GET', '/v1/policies/auto', g.t.admin)).status).toBe(404);
      expect((await g.release()).outcome).toBe('ERR_PENDING');
      // The one who asked cannot confirm; the second admin can.
      expect((await call('POST', `/v1/actions/${del.body.actionId}/confirm`, g.t.admin)).body.error.code).toBe('ERR_FORBIDDEN');
      expect((await call('POST', `/v1/actions/${del.body.actionId}/confirm`, g.second)).status).toBe(200);
      expect((await call('GET', '/v1/policies/strict', g.t.admin)).status).toBe(404);
    });

    it('with two vouched admins, every widening waits; a tightening does not', async () => {
      const g = await guardedKey({ secondAdmin: true });
      const k2 = (await call('POST', '/v1/keys', g.t.admin, { name: 'other' })).body.keyId;
      const widen: [string, unknown][] = [
        ['fewer approvers', { ...g.strict, approval: { mode: 'manual', approvers: 1 } }],
        ['automatic', { ...g.strict, approval: { mode: 'auto' } }],
        ['another key', { ...g.strict, keys: [g.keyId, k2] }],
        ['another group', { ...g.strict, devices: { groups: ['g', 'h'] } }],
        ['a device by id', { ...g.strict, devices: { groups: ['g'], ids: [`dev_${randomUUID()}`] } }],
        ['looser rules', { ...g.strict, rules: { claim: 'integrity.firewall', exists: true } }],
        ['fewer keys of a manual policy', { ...g.strict, keys: [] }],
      ];
      for (const [what, body] of widen) {
        const r = await call('PUT', '/v1/policies/strict', g.t.admin, body);
        if (r.status === 400) continue; // refused as invalid: not a way round either
        expect(r.status, what).toBe(202);
      }
      expect((await call('GET', '/v1/policies/strict', g.t.admin)).body.policy).toMatchObject({
        approval: { approvers: 2 },
        keys: [g.keyId],
      });
      const tighter = {
        ...g.strict,
        rules: { allOf: [g.strict.rules, { claim: 'identity.region', equals: 'eu-west-1' }] },
        approval: { mode: 'manual', approvers: 3, ttlSeconds: 60 },
      };
      expect((await call('PUT', '/v1/policies/strict', g.t.admin, tighter)).status).toBe(200);
    });

    it("an admin's invitation for a new approver grants nothing until a second admin confirms; no token reaches the admin", async () => {
      const g = await guardedKey({ secondAdmin: true });
      const r1 = await g.release();
      const made = await call('POST', '/v1/users', g.t.admin, { name: 'sock-puppet', roles: ['approver'] });
      expect(made.status).toBe(201);
      expect(JSON.stringify(made.body)).not.toMatch(/sct_/);
      expect(made.body.roles).toEqual([]);
      expect(made.body.pending).toMatchObject({ kind: 'user.roles', reason: 'granting approver' });
      const puppet = await redeem(h, made.body.invitation);
      expect((await call('POST', `/v1/requests/${r1.requestId}/approve`, puppet)).body.error.code).toBe('ERR_FORBIDDEN');
      // Roles changed afterwards wait too.
      const plain = await call('POST', '/v1/users', g.t.admin, { name: 'plain', roles: ['auditor'] });
      expect(plain.status).toBe(201);
      expect(plain.body.pending).toBeUndefined();
      const plainUser = plain.body.userId as string;
      expect((await call('POST', `/v1/users/${plainUser}/roles`, g.t.admin, { roles: ['approver'] })).status).toBe(202);
      expect((await call('POST', `/v1/actions/${made.body.pending.actionId}/confirm`, g.t.admin)).body.error.code).toBe('ERR_FORBIDDEN');
      expect((await call('POST', `/v1/actions/${made.body.pending.actionId}/confirm`, g.second)).status).toBe(200);
      // Confirmed, the invitation's holder approves: who that is, only the invitation's path can tell (docs/broker.md).
      expect((await call('POST', `/v1/requests/${r1.requestId}/approve`, puppet)).status).toBe(200);
    });

    it('an admin made by a lone admin is not a second person: it confirms nothing, and the tenant says so', async () => {
      const t = await makeTenant(h);
      let sep = await health(t.admin);
      expect(sep).toMatchObject({ admins: 1, vouchedAdmins: 1, twoPersonRules: 'not enforced' });
      const k = (await call('POST', '/v1/keys', t.admin, { name: 'k' })).body.keyId;
      const alter = await makeUser(h, t.admin, 'alter-ego', ['admin']);
      sep = await health(t.admin);
      expect(sep).toMatchObject({ admins: 2, vouchedAdmins: 1, twoPersonRules: 'not enforced' });
      expect(sep.unvouched.map((u: { name: string }) => u.name)).toEqual(expect.arrayContaining(['alter-ego', 'bob', 'carol']));
      const ask = await call('POST', `/v1/keys/${k}/destroy`, t.admin);
      expect(ask.status).toBe(202);
      const confirm = await call('POST', `/v1/actions/${ask.body.actionId}/confirm`, alter);
      expect(confirm.body.error).toMatchObject({ code: 'ERR_FORBIDDEN', message: expect.stringMatching(/confirmed by a second admin/) });
      expect((await call('GET', '/v1/keys', t.admin)).body.keys.find((x: { keyId: string }) => x.keyId === k).destroyed).toBe(false);
      // The operator's second admin is a second person.
      const second = await operatorAdmin(h, t.tenantId, 'vouched');
      expect((await health(second)).twoPersonRules).toBe('enforced');
      expect((await call('POST', `/v1/actions/${ask.body.actionId}/confirm`, second)).status).toBe(200);
    });

    it('one admin cannot remove the other and then act alone', async () => {
      const g = await guardedKey({ secondAdmin: true });
      const users = (await call('GET', '/v1/users', g.t.admin)).body.users as { userId: string; name: string }[];
      const other = users.find((u) => u.name === 'second-admin')!.userId;
      expect((await call('POST', `/v1/users/${other}/disable`, g.t.admin)).status).toBe(202);
      expect((await call('POST', `/v1/users/${other}/roles`, g.t.admin, { roles: ['auditor'] })).status).toBe(202);
      expect((await call('POST', `/v1/users/${other}/invitation`, g.t.admin, {})).status).toBe(202);
      expect((await health(g.second!)).twoPersonRules).toBe('enforced');
      expect((await call('GET', '/v1/keys', g.second)).status).toBe(200);
    });

    it("the last admin cannot be disabled or demoted; another tenant's users are not found", async () => {
      const t = await makeTenant(h);
      const other = await makeTenant(h);
      const me = (await call('GET', '/v1/users', t.admin)).body.users.find((u: { name: string }) => u.name === 'alice').userId;
      expect((await call('POST', `/v1/users/${me}/disable`, t.admin)).body.error.code).toBe('ERR_CONFLICT');
      expect((await call('POST', `/v1/users/${me}/roles`, t.admin, { roles: ['auditor'] })).body.error.code).toBe('ERR_CONFLICT');
      for (const [method, path, body] of [
        ['POST', `/v1/users/${me}/disable`],
        ['POST', `/v1/users/${me}/roles`, { roles: [] }],
        ['POST', `/v1/users/${me}/invitation`, {}],
        ['GET', `/v1/users/${me}/tokens`],
        ['POST', `/v1/users/${me}/tokens/revoke`],
      ] as [string, string, unknown?][]) {
        const r = await call(method, path, other.admin, body);
        expect([r.status, r.body.error?.code], path).toEqual([404, 'ERR_NOT_FOUND']);
      }
      expect((await call('POST', `/v1/tenants/${t.tenantId}/admins`, t.admin, { name: 'x' })).body.error.code).toBe('ERR_FORBIDDEN');
    });
  });

  describe('locking a user out', () => {
    it('disabling a user stops every token it minted for itself at once', async () => {
      const t = await makeTenant(h);
      const extra = await Promise.all(
        [1, 2, 3].map(async () => (await call('POST', '/v1/tokens', t.approver1, { expiresInSeconds: 366 * 86400 })).body.token as string),
      );
      const bob = (await call('GET', '/v1/users', t.admin)).body.users.find((u: { name: string }) => u.name === 'bob').userId;
      const listed = await call('GET', `/v1/users/${bob}/tokens`, t.admin);
      expect(listed.body.tokens).toHaveLength(4);
      expect(JSON.stringify(listed.body)).not.toMatch(/sct_|hash/i);
      expect((await call('POST', `/v1/users/${bob}/disable`, t.admin)).body).toEqual({ userId: bob, disabled: true });
      for (const tok of [t.approver1, ...extra])
        expect((await call('GET', '/v1/requests', tok)).body.error.code).toBe('ERR_UNAUTHENTICATED');
      expect((await call('POST', `/v1/users/${bob}/invitation`, t.admin, {})).body.error.code).toBe('ERR_NOT_FOUND');
      const all = await call('GET', '/v1/users?all=true', t.admin);
      expect(all.body.users.find((u: { userId: string }) => u.userId === bob).disabledAt).toBeDefined();
    });

    it("revoking a user's tokens, emptying its roles and demoting it take effect on every token", async () => {
      const t = await makeTenant(h);
      const extra = (await call('POST', '/v1/tokens', t.approver2, { expiresInSeconds: 3600 })).body.token as string;
      const carol = (await call('GET', '/v1/users', t.admin)).body.users.find((u: { name: string }) => u.name === 'carol').userId;
      expect((await call('POST', `/v1/users/${carol}/roles`, t.admin, { roles: ['auditor'] })).status).toBe(200);
      for (const tok of [t.approver2, extra]) {
        expect((await call('GET', '/v1/requests', tok)).body.error.code).toBe('ERR_FORBIDDEN');
        expect((await call('GET', '/v1/audit?limit=1', tok)).status).toBe(200);
      }
      expect((await call('POST', `/v1/users/${carol}/roles`, t.admin, { roles: [] })).status).toBe(200);
      for (const tok of [t.approver2, extra]) expect((await call('GET', '/v1/audit?limit=1', tok)).body.error.code).toBe('ERR_FORBIDDEN');
      expect((await call('POST', `/v1/users/${carol}/tokens/revoke`, t.admin)).body).toEqual({ userId: carol, revoked: 2 });
      for (const tok of [t.approver2, extra])
        expect((await call('GET', '/v1/audit?limit=1', tok)).body.error.code).toBe('ERR_UNAUTHENTICATED');
    });

    it('an invitation works once; a second try is refused and recorded; a new invitation stops the old tokens', async () => {
      const t = await makeTenant(h);
      const made = await call('POST', '/v1/users', t.admin, { name: 'erin', roles: ['auditor'] });
      const first = await redeem(h, made.body.invitation);
      const again = await call('POST', '/v1/invitations/redeem', undefined, { code: made.body.invitation.code });
      expect([again.status, again.body.error.code]).toEqual([401, 'ERR_UNAUTHENTICATED']);
      const bogus = await call('POST', '/v1/invitations/redeem', undefined, { code: `sci_${'A'.repeat(43)}` });
      expect(bogus.body.error.code).toBe('ERR_UNAUTHENTICATED');
      const log = (await call('GET', '/v1/audit?limit=1000', first)).body.records as { action: string; outcome: string; target: string }[];
      expect(log.filter((r) => r.action === 'user.invitation.redeem' && r.target === made.body.userId).map((r) => r.outcome)).toEqual([
        'success',
        'denied',
      ]);
      const re = await call('POST', `/v1/users/${made.body.userId}/invitation`, t.admin, {});
      expect(re.status).toBe(201);
      expect((await call('GET', '/v1/audit?limit=1', first)).body.error.code).toBe('ERR_UNAUTHENTICATED');
      expect((await call('GET', '/v1/audit?limit=1', await redeem(h, re.body.invitation))).status).toBe(200);
    });
  });
}
