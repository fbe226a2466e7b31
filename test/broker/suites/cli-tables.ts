/**
 * `sectorcrypt broker ...` for people and for scripts, against the harness broker: tables
 * and label: value blocks without --json, the API's answer unchanged with --json, and a new
 * token printed whole with the warning that it is shown once.
 */
import { describe, expect, it } from 'vitest';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeTenant, type Harness } from '../helpers.js';
import { brokerCli as cli } from '../broker-cli.js';

export function cliTablesSuite(harness: () => Harness): void {
  describe('management CLI output', () => {
    it('prints tables, label: value blocks and once-shown tokens; --json stays the API answer', async () => {
      const h = harness();
      const t = await makeTenant(h);
      const key = (await h.client.call('POST', '/v1/keys', { token: t.admin, body: { name: 'tables' } })).body;
      const dir = await mkdtemp(join(tmpdir(), 'sc-tables-'));
      await writeFile(join(dir, 'ca.pem'), h.ca);
      const env = (token: string) => ({
        SECTORCRYPT_BROKER_URL: h.url,
        SECTORCRYPT_BROKER_CA: join(dir, 'ca.pem'),
        SECTORCRYPT_BROKER_TOKEN: token,
        NO_COLOR: '',
      });
      const [users, usersJson, keys, token] = await Promise.all([
        cli(env(t.admin), ['user', 'list']),
        cli(env(t.admin), ['user', 'list', '--json']),
        cli(env(t.admin), ['key', 'list']),
        cli(env(t.auditor), ['token', 'create']),
      ]);
      for (const r of [users, usersJson, keys, token]) expect(r, r.stderr).toMatchObject({ code: 0, stderr: '' });

      const userLines = users.stdout.trimEnd().split('\n');
      expect(userLines[0]).toMatch(/^USER ID +NAME +ROLES +VOUCHED +CREATED$/);
      expect(userLines.find((l) => / bob /.test(l))).toMatch(/^usr_\S+ +bob +approver +no +\d{4}-/);
      expect(users.stdout).not.toContain('\u001b'); // not a terminal: no colour
      // Columns line up: every row's NAME starts where the header's does.
      const nameAt = userLines[0]!.indexOf('NAME');
      for (const l of userLines.slice(1)) expect(l[nameAt - 1]).toBe(' ');

      expect(JSON.parse(usersJson.stdout)).toEqual((await h.client.call('GET', '/v1/users', { token: t.admin })).body);
      expect(usersJson.stdout.trimEnd().split('\n')).toHaveLength(1);

      expect(keys.stdout).toMatch(/^KEY ID +NAME +VERSION +STATE +PUBLIC KEY +CREATED\n/);
      const keyRow = keys.stdout.split('\n').find((l) => l.startsWith(key.keyId));
      expect(keyRow).toMatch(
        new RegExp(`^${key.keyId} +tables +1 +active +${key.publicKey.slice(0, 19).replace(/[+/]/g, '\\$&')}… +\\d{4}-`),
      );

      expect(token.stdout).toMatch(/^token id: +tok_\S+\nexpires: +\d{4}-/);
      expect(token.stdout).toContain('shown only once');
      const secret = token.stdout.split('\n').find((l) => /^sct_[A-Za-z0-9_-]{43}$/.test(l));
      expect(secret).toBeDefined();
      expect((await h.client.call('GET', '/v1/audit?limit=1', { token: secret })).status).toBe(200);
    }, 60_000);
  });
}
