/**
 * What an operator reaches for in the first week, through `sectorcrypt broker ...` against a
 * real broker: lists and revocations, invitations redeemed from standard input, the tenant's
 * two-person status, request history with comments, and errors that say what to do.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { BrokerAgent } from '../../../src/agent/index.js';
import { hpkeSeal } from '../../../src/keys/hpke.js';
import { makeTenant, type Harness } from '../helpers.js';
import { brokerCli as cli } from '../broker-cli.js';

export function managementCliSuite(harness: () => Harness): void {
  describe('management CLI: lists, revocations, invitations, history', () => {
    let h: Harness;
    let dir: string;
    let env: (token?: string) => NodeJS.ProcessEnv;
    const json = async (token: string | undefined, args: string[], input?: string) => {
      const r = await cli(env(token), [...args, '--json'], input);
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0);
      return JSON.parse(r.stdout);
    };

    beforeAll(async () => {
      h = harness();
      dir = await mkdtemp(join(tmpdir(), 'sc-manage-'));
      await writeFile(join(dir, 'ca.pem'), h.ca);
      env = (token) => ({
        SECTORCRYPT_BROKER_URL: h.url,
        SECTORCRYPT_BROKER_CA: join(dir, 'ca.pem'),
        ...(token ? { SECTORCRYPT_BROKER_TOKEN: token } : {}),
        NO_COLOR: '',
      });
    });

    it('operator: tenant create and invite-admin show invitations, never a token; tenant list; health says when two-person rules hold', async () => {
      const name = `cli-${randomUUID().slice(0, 8)}`;
      const made = await cli(env(h.operatorToken), ['tenant', 'create', name, '--admin', 'root']);
      expect(made.code, made.stderr).toBe(0);
      expect(made.stdout).toMatch(/invitation code.*\n(sci_\S+)\n/);
      expect(made.stdout).not.toMatch(/sct_/);
      const code = /\n(sci_\S+)\n/.exec(made.stdout)![1]!;
      const tenantId = /tenant: +(tn_\S+)/.exec(made.stdout)![1]!;
      const root = (await json(undefined, ['invitation', 'redeem', '--code-file', '-'], `${code}\n`)).token as string;
      expect((await cli(env(), ['invitation', 'redeem', '--code-file', '-'], code)).stderr).toMatch(/already used.*ERR_UNAUTHENTICATED/);

      const alone = await cli(env(root), ['health']);
      expect(alone.stdout).toMatch(/two-person rules: +not enforced/);
      expect(alone.stdout).toMatch(/warning: this tenant has fewer than two vouched admins/);
      const tenants = await cli(env(h.operatorToken), ['tenant', 'list']);
      expect(tenants.stdout).toMatch(new RegExp(`^${tenantId} +${name} +\\d{4}-`, 'm'));
      const second = await json(h.operatorToken, ['tenant', 'invite-admin', tenantId, '--name', 'ann']);
      await json(undefined, ['invitation', 'redeem', '--code-file', '-'], second.invitation.code);
      const both = await json(root, ['health']);
      expect(both.separation).toMatchObject({ admins: 2, vouchedAdmins: 2, twoPersonRules: 'enforced' });
      // A grant now waits: the table says so and names the action.
      const bob = await cli(env(root), ['user', 'create', 'bob', '--role', 'approver']);
      expect(bob.stdout).toMatch(/roles: +\(none yet\)/);
      expect(bob.stdout).toMatch(/granting approver waits for a second admin/);
      expect(bob.stdout).toMatch(/sectorcrypt broker action confirm act_/);
      const actions = await cli(env(root), ['action', 'list']);
      expect(actions.stdout).toMatch(/^act_\S+ +user\.roles +usr_\S+ +usr_\S+ +granting approver/m);
      const actionId = /^(act_\S+)/m.exec(actions.stdout)![1]!;
      expect((await json(root, ['action', 'cancel', actionId])).status).toBe('cancelled');
    });

    it('admin: user disable and tokens; token list; enroll-token list and revoke (a revoked token enrolls nothing); issuer list', async () => {
      const t = await makeTenant(h);
      const users = (await json(t.admin, ['user', 'list'])).users as { userId: string; name: string }[];
      const bob = users.find((u) => u.name === 'bob')!.userId;
      await json(t.approver1, ['token', 'create']);
      const own = await json(t.approver1, ['token', 'list']);
      expect(own.tokens).toHaveLength(2);
      expect(own.tokens.filter((x: { current: boolean }) => x.current)).toHaveLength(1);
      const table = await cli(env(t.admin), ['user', 'tokens', bob]);
      expect(table.stdout.split('\n')[0]).toMatch(/^TOKEN ID +CREATED +EXPIRES +REVOKED$/);
      expect(await json(t.admin, ['user', 'disable', bob])).toEqual({ userId: bob, disabled: true });
      expect((await cli(env(t.approver1), ['request', 'list'])).stderr).toMatch(/ERR_UNAUTHENTICATED/);
      expect((await json(t.admin, ['user', 'tokens', bob])).tokens.every((x: { revokedAt?: string }) => x.revokedAt)).toBe(true);

      const made = await json(t.admin, ['enroll-token', 'create', '--group', 'g', '--uses', '3']);
      const listed = await cli(env(t.admin), ['enroll-token', 'list']);
      expect(listed.stdout).toMatch(new RegExp(`^${made.tokenId} +g +3 +usable `, 'm'));
      expect(listed.stdout).not.toContain(made.token);
      expect((await json(t.admin, ['enroll-token', 'revoke', made.tokenId])).state).toBe('revoked');
      expect((await json(t.admin, ['enroll-token', 'list'])).tokens).toEqual([]);
      expect((await json(t.admin, ['enroll-token', 'list', '--all'])).tokens[0]).toMatchObject({
        tokenId: made.tokenId,
        state: 'revoked',
        usesLeft: 0,
      });
      const stateDir = join(await mkdtemp(join(tmpdir(), 'sc-agent-')), 's');
      await expect(
        BrokerAgent.enroll({ url: h.url, ca: h.ca, token: made.token, stateDir, device: { name: 'late' } }),
      ).rejects.toMatchObject({ code: 'ERR_UNAUTHENTICATED' });

      const jwks = join(dir, `jwks-${t.tenantId}.json`);
      await writeFile(jwks, JSON.stringify({ keys: [{ kty: 'OKP', crv: 'Ed25519', x: Buffer.alloc(32, 1).toString('base64url') }] }));
      await json(t.admin, ['issuer', 'add', 'cloud', '--issuer', 'https://cloud.example', '--jwks', jwks]);
      const issuers = await cli(env(t.admin), ['issuer', 'list']);
      expect(issuers.stdout, issuers.stdout).toMatch(/^cloud +jwt +https:\/\/cloud\.example +- +1 inline/m);
    });

    it('approver: --comment on a vote; request list --status decided and request show tell who decided and why', async () => {
      const t = await makeTenant(h);
      const k = await h.client.call('POST', '/v1/keys', { token: t.admin, body: { name: 'hist' } });
      await h.client.call('PUT', '/v1/policies/hist', {
        token: t.admin,
        body: {
          keys: [k.body.keyId],
          devices: { groups: ['g'] },
          rules: { claim: 'integrity.firewall', equals: true },
          approval: { mode: 'manual', approvers: 2 },
        },
      });
      const e = await h.client.call('POST', '/v1/enrollment-tokens', { token: t.admin, body: { groups: ['g'] } });
      const stateDir = join(await mkdtemp(join(tmpdir(), 'sc-agent-')), 's');
      (await BrokerAgent.enroll({ url: h.url, ca: h.ca, token: e.body.token, stateDir, device: { name: 'hist-dev' } })).close();
      const agent = await BrokerAgent.load({ stateDir, claims: { integrity: { firewall: true } } });
      const uuid = randomUUID();
      const s = await hpkeSeal(
        'x25519',
        new Uint8Array(Buffer.from(k.body.publicKey, 'base64')),
        new TextEncoder().encode('sectorcrypt-luks2/v1 broker'),
        new TextEncoder().encode(`${k.body.keyId}/1/${uuid}`),
        new Uint8Array(32),
      );
      const pending = await agent
        .unwrap({ keyId: k.body.keyId, version: 1, enc: s.enc, ciphertext: s.ciphertext }, { resource: `luks2:${uuid}` })
        .catch((err: { requestId: string }) => err);
      agent.close();
      const requestId = (pending as { requestId: string }).requestId;
      expect((await json(t.approver1, ['request', 'approve', requestId, '--comment', 'ticket OPS-7 checked'])).status).toBe('pending');
      expect((await json(t.approver2, ['request', 'deny', requestId, '--comment', 'not during the freeze'])).status).toBe('denied');
      const history = await cli(env(t.approver1), ['request', 'list', '--status', 'decided']);
      expect(history.stdout.split('\n')[0]).toMatch(/DECIDED BY/);
      expect(history.stdout).toMatch(new RegExp(`^${requestId} +denied .*bob approved, carol denied`, 'm'));
      const shown = await cli(env(t.admin), ['request', 'show', requestId]);
      expect(shown.stdout).toMatch(/votes: +\S+ bob \(usr_\S+\) approved: ticket OPS-7 checked/);
      expect(shown.stdout).toMatch(/ +\S+ carol \(usr_\S+\) denied: not during the freeze/);
    });

    it('errors say what to do: no token, a policy file that is not JSON, a policy naming an unknown key, a malformed id', async () => {
      const t = await makeTenant(h);
      const noToken = await cli(env(), ['key', 'list']);
      expect(noToken.stderr).toMatch(/give --token or set SECTORCRYPT_BROKER_TOKEN \(ERR_UNAUTHENTICATED\)/);
      expect(noToken.stderr).not.toMatch(/Authorization: Bearer/);
      // `--version` after a subcommand is that command's option, not the program's version.
      const retire = await cli(env(), ['key', 'retire', `key_${randomUUID()}`, '--version', '1']);
      expect(retire.stdout).not.toMatch(/^\d+\.\d+\.\d+/);
      expect(retire.stderr).toMatch(/ERR_UNAUTHENTICATED/);
      const file = join(dir, 'broken-policy.json');
      await writeFile(file, '{ keys: [] }');
      const broken = await cli(env(t.admin), ['policy', 'put', 'p', file]);
      expect(broken.stderr).toContain(`policy file ${file} is not JSON`);
      expect(broken.stderr).toMatch(/\(ERR_ARGUMENT\)$/m);
      const ghost = join(dir, 'ghost-policy.json');
      await writeFile(
        ghost,
        JSON.stringify({
          keys: [`key_${randomUUID()}`],
          devices: { groups: ['g'] },
          rules: { claim: 'integrity.firewall', equals: true },
          approval: { mode: 'auto' },
        }),
      );
      expect((await cli(env(t.admin), ['policy', 'put', 'p', ghost])).stderr).toMatch(
        /\/keys\/0: no key key_\S+ in this tenant.*ERR_POLICY_INVALID/,
      );
      const bad = await cli(env(t.admin), ['device', 'revoke', 'not-an-id']);
      expect(bad.stderr).toMatch(/params\/id: must be an id.*ERR_ARGUMENT/);
      expect(bad.stderr).not.toMatch(/pattern|\^\[a-z\]/);
    });
  });
}
