/**
 * The admin's views in Chromium: the policy editor names the path of the first error as
 * the broker's own validator does, and saves a valid policy; keys are made and rotated, and
 * a destroy waits for a second admin; an enrollment token is shown once; devices are
 * revoked; users get roles, within separation of duties (the broker's refusal is shown).
 */
import { expect, it } from 'vitest';
import { describeWithTool } from '../tools.js';
import { chromiumMissing, newPage, signIn, signedInConsole } from './fixture.js';
import { operatorAdmin } from '../broker/helpers.js';

describeWithTool('chromium', chromiumMissing(), 'console: admin views in Chromium', () => {
  const s = signedInConsole({
    approvers: 1,
    token: (t) => t.admin,
  });

  it('offers the admin views, and the pending requests to look at', async () => {
    expect(await s.page.locator('nav a').allInnerTexts()).toEqual(['Devices', 'Keys', 'Policies', 'Users', 'Pending requests']);
  });

  it('checks a policy as it is typed, names the path of the first error, and saves a valid one', async () => {
    await s.page.getByRole('link', { name: 'Policies' }).click();
    const editor = s.page.getByLabel('Policy (JSON)');
    await s.page.getByLabel('Policy name').fill('console-made');
    const bad = {
      keys: [s.f.keyId],
      devices: { groups: ['prod-db'] },
      rules: {
        allOf: [
          { claim: 'identity.region', in: ['eu-west-1'] },
          { claim: 'request.ip', cidr: '10.0.0.0/33' },
        ],
      },
      approval: { mode: 'auto' },
    };
    await editor.fill(JSON.stringify(bad, null, 2));
    await expect.poll(() => s.page.locator('.verdict').innerText()).toContain('Invalid at rules.allOf[1].cidr');
    expect(await editor.getAttribute('aria-invalid')).toBe('true');
    expect(await s.page.getByRole('button', { name: 'Save policy' }).isDisabled()).toBe(true);
    // The broker says the same.
    const server = await s.f.h.client.call('PUT', '/v1/policies/console-made', { token: s.f.t.admin, body: bad });
    expect(server.body.error.code).toBe('ERR_POLICY_INVALID');
    expect(server.body.error.message).toContain('rules.allOf[1].cidr');

    await editor.fill('{ "keys": [');
    await expect.poll(() => s.page.locator('.verdict').innerText()).toContain('Invalid at (JSON)');

    bad.rules.allOf[1] = { claim: 'request.ip', cidr: '10.0.0.0/8' };
    await editor.fill(JSON.stringify(bad));
    await expect.poll(() => s.page.locator('.verdict').innerText()).toBe('Valid policy.');
    await s.page.getByRole('button', { name: 'Save policy' }).click();
    await expect.poll(() => s.page.locator('.notice').innerText()).toBe('Saved console-made.');
    const stored = await s.f.h.client.call('GET', '/v1/policies/console-made', { token: s.f.t.admin });
    expect(stored.body.policy.rules.allOf[1].cidr).toBe('10.0.0.0/8');
    await expect.poll(() => s.page.locator('.policy-list').innerText()).toContain('console-made');
  });

  it('makes and rotates a key; a destroy waits for a second admin', async () => {
    await s.page.getByRole('link', { name: 'Keys' }).click();
    await s.page.getByLabel('Key name').fill('backups');
    await s.page.getByRole('button', { name: 'Create key' }).click();
    const card = s.page.locator('article.key', { hasText: 'backups' });
    await card.waitFor();
    await card.getByRole('button', { name: 'Rotate' }).click();
    await expect.poll(() => s.page.locator('.notice').innerText()).toBe('backups is now at version 2.');
    await s.page.locator('article.key', { hasText: 'backups' }).getByRole('button', { name: 'Destroy…' }).click();
    await s.page.getByRole('button', { name: 'Ask to destroy backups' }).click();
    await expect.poll(() => s.page.locator('.notice').innerText()).toMatch(/waits for a second admin to confirm action act_/);
    // The same admin confirming: the broker refuses and the s.page shows it.
    const pending = s.page.locator('.actions li', { hasText: 'key.destroy' });
    await pending.getByRole('button', { name: 'Confirm key.destroy' }).click();
    await expect.poll(() => s.page.locator('main .error').first().innerText()).toContain('ERR_FORBIDDEN');
    const keys = await s.f.h.client.call('GET', '/v1/keys', { token: s.f.t.admin });
    expect(keys.body.keys.find((k: { name: string }) => k.name === 'backups').destroyed).toBe(false);

    // A second admin, in a browser of their own, confirms: the key is destroyed.
    // A second admin invited by the operator (one the first admin made alone would be refused).
    const second = await operatorAdmin(s.f.h, s.f.t.tenantId, 'frank');
    const other = await newPage(s.browser);
    await signIn(other.page, s.f.h.url, second);
    await other.page.getByRole('link', { name: 'Keys' }).click();
    await other.page.locator('.actions li', { hasText: 'key.destroy' }).getByRole('button', { name: 'Confirm key.destroy' }).click();
    await expect.poll(() => other.page.locator('.notice').innerText()).toMatch(/^Action act_\S+ is done\.$/);
    await expect.poll(() => other.page.locator('article.key h2', { hasText: 'backups' }).innerText()).toBe('backups (destroyed)');
    await other.context.close();
  });

  it('shows an enrollment token once, and revokes a device', async () => {
    const a = await s.f.agent('web-1');
    a.agent.close();
    await s.page.getByRole('link', { name: 'Devices' }).click();
    await s.page.getByLabel('Groups (comma separated)').fill('prod-db, eu');
    await s.page.getByRole('button', { name: 'Create enrollment token' }).click();
    const token = await s.page.getByLabel(/Enrollment token \(shown once/).inputValue();
    expect(token).toMatch(/^sce_[A-Za-z0-9_-]{43}$/);

    const row = s.page.locator('tr', { hasText: 'web-1' });
    await row.getByRole('button', { name: 'Revoke web-1' }).click();
    await row.getByRole('button', { name: 'Yes, revoke web-1' }).click();
    await expect.poll(() => s.page.locator('tr', { hasText: 'web-1' }).innerText()).toContain('revoked');
    const devices = await s.f.h.client.call('GET', '/v1/devices', { token: s.f.t.admin });
    expect(devices.body.devices.find((d: { name: string }) => d.name === 'web-1').revokedAt).not.toBeNull();
  });

  it('makes a user with an invitation (shown once) that the user redeems on the sign-in page; admin with approver is refused with the reason', async () => {
    await s.page.getByRole('link', { name: 'Users' }).click();
    await s.page.getByLabel('User name').fill('erin');
    await s.page.getByRole('button', { name: 'Create user' }).click();
    const code = await s.page.getByLabel(/Invitation for erin/).inputValue();
    expect(code).toMatch(/^sci_/);
    // Two admins here (frank, above): the approver grant waits for the second one.
    await expect
      .poll(() => s.page.locator('.once .notice').innerText())
      .toMatch(/^Granting approver waits for a second admin to confirm action act_/);
    const row = s.page.locator('tr', { hasText: 'erin' });
    await row.getByLabel('admin').check();
    await row.getByLabel('approver').check();
    await row.getByRole('button', { name: 'Save roles of erin' }).click();
    await expect.poll(() => s.page.locator('main .error').first().innerText()).toContain('separation of duties');

    // Erin, in a browser of her own, redeems the code and signs in with the token she got.
    const erin = await newPage(s.browser);
    await erin.page.goto(`${s.f.h.url}/console/`);
    await erin.page.getByLabel('Invitation code').fill(code);
    await erin.page.getByRole('button', { name: 'Redeem' }).click();
    const token = await erin.page.getByLabel('Your API token').inputValue();
    expect(token).toMatch(/^sct_/);
    await erin.page.getByLabel('API token', { exact: true }).fill(token);
    await erin.page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => erin.page.locator('#who').innerText()).toContain('erin');
    await erin.context.close();
  });

  it("sees pending requests without Approve or Deny; cannot open the auditor view, nor call approvers' or auditors' API (403)", async () => {
    const a = await s.f.agent('db-admin-sees');
    const waiting = a.unwrap(false).catch((e: { code: string }) => e.code);
    expect(await waiting).toBe('ERR_PENDING');
    await s.page.goto(`${s.f.h.url}/console/#requests`);
    const card = s.page.locator('article.request', { hasText: 'db-admin-sees' });
    await card.waitFor({ timeout: 30_000 });
    expect(await card.getByRole('button', { name: 'Approve' }).count()).toBe(0);
    expect(await card.innerText()).toContain('as an admin you can only see it');
    a.agent.close();
    await s.page.goto(`${s.f.h.url}/console/#audit`);
    await expect.poll(() => s.page.locator('main [role=alert]').innerText()).toContain('needs the role auditor');
    const status = await s.page.evaluate(`fetch('/console/api/session').then((r) => r.json()).then(({ csrfToken }) =>
      Promise.all(['/v1/audit', '/v1/audit/checkpoint', '/v1/requests/req_00000000-0000-0000-0000-000000000000/approve'].map((path, i) =>
        fetch(path, { method: i === 2 ? 'POST' : 'GET', headers: { 'x-csrf-token': csrfToken } }).then((r) => r.status))))`);
    expect(status).toEqual([403, 403, 403]);
  });
});
