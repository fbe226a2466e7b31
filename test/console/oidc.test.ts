/**
 * The console's sign-in through the tenant's OpenID provider, in Chromium, against a real
 * provider (test/broker/oidc-provider.ts): the code flow with PKCE from the sign-in page and
 * back, the roles of the person's groups, a vote refused for want of a second factor, step-up
 * from the refusal and the vote that then counts, and sign-out that ends the provider's
 * session too (RP-initiated logout).
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { describeWithTool } from '../tools.js';
import { chromiumMissing, ensureConsoleBuilt, launchChromium, newPage, startConsoleFixture, type ConsoleFixture } from './fixture.js';
import { startProvider, type TestProvider } from '../broker/oidc-provider.js';

describeWithTool('chromium', chromiumMissing(), 'console: sign-in through an OpenID provider in Chromium', () => {
  let f: ConsoleFixture;
  let op: TestProvider;
  let browser: Browser;
  let tenantName: string;

  beforeAll(async () => {
    ensureConsoleBuilt();
    [f, browser] = await Promise.all([startConsoleFixture(1), launchChromium()]);
    op = await startProvider({ redirectUri: `${f.h.url}/console/api/oidc/callback` });
    op.accounts.set('ann', { email: 'ann@example.com', groups: ['sc-approvers'] });
    op.accounts.set('mal', { email: 'mal@example.com', groups: ['staff'] });
    const admin = (method: string, path: string, body?: unknown) => f.h.client.call(method, path, { token: f.t.admin, body });
    const put = await admin('PUT', '/v1/oidc', {
      issuer: op.issuer,
      clientId: op.clientId,
      clientSecret: op.clientSecret,
      redirectUri: `${f.h.url}/console/api/oidc/callback`,
      scopes: ['openid', 'email', 'groups'],
      roles: { admin: ['sc-admins'], approver: ['sc-approvers'], auditor: ['sc-auditors'] },
      mfaAcrValues: ['urn:test:mfa'],
    });
    expect(put.status, JSON.stringify(put.body)).toBe(200);
    // The fixture's policy, now asking each vote for a second factor.
    const policy = (await admin('GET', '/v1/policies/prod-db-volumes')).body.policy;
    const again = await admin('PUT', '/v1/policies/prod-db-volumes', {
      keys: policy.keys,
      devices: policy.devices,
      rules: policy.rules,
      approval: { ...policy.approval, assurance: { secondFactor: true } },
    });
    expect(again.status, JSON.stringify(again.body)).toBe(200);
    const tenants = await f.h.client.call('GET', '/v1/tenants', { token: f.h.operatorToken });
    tenantName = tenants.body.tenants.find((t: { tenantId: string }) => t.tenantId === f.t.tenantId).name;
  });
  afterAll(async () => {
    await browser?.close();
    await op?.close();
    await f?.h.stop();
  });

  it('a person whose groups map to no role comes back to the sign-in page, which says why', async () => {
    const { page } = await newPage(browser);
    op.nextLogin = { accountId: 'mal', amr: ['pwd'] };
    await page.goto(`${f.h.url}/console/`);
    await page.getByLabel('Tenant').fill(tenantName);
    await page.getByRole('button', { name: 'Continue with your provider' }).click();
    await expect.poll(() => page.locator('form.signin .error').innerText()).toContain('ERR_FORBIDDEN');
    expect(await page.locator('form.signin .error').innerText()).toContain('maps to a role');
    expect(page.url()).toBe(`${f.h.url}/console/`);
    expect(await page.getByRole('button', { name: 'Sign out' }).count()).toBe(0);
  });

  it('signs in through the provider, votes after step-up, and signs out at the provider too', async () => {
    const { page } = await newPage(browser);
    op.nextLogin = { accountId: 'ann', amr: ['pwd'], acr: 'urn:test:pwd' };
    await page.goto(`${f.h.url}/console/`);
    await page.getByLabel('Tenant').fill(tenantName);
    await page.getByRole('button', { name: 'Continue with your provider' }).click();
    await page.getByRole('button', { name: 'Sign out' }).waitFor();
    const header = await page.locator('#who').innerText();
    expect(header).toMatch(/Roles\s+approver/);
    expect(header).toContain(`Signed in through ${new URL(op.issuer).host}`);
    expect(header).toContain('ann@example.com');
    const asked = op.authRequests.at(-1)!;
    expect(asked.get('code_challenge_method')).toBe('S256');

    const a = await f.agent('db-1');
    const waiting = a.unwrap(true);
    await page.goto(`${f.h.url}/console/#requests`);
    const card = page.locator('article.request', { hasText: 'db-1' });
    await card.waitFor({ timeout: 30_000 });
    await card.getByRole('button', { name: 'Approve' }).click();
    await expect.poll(() => card.locator('.error').innerText()).toContain('ERR_STEP_UP');

    // Step-up: the provider is asked again (max_age=0, the second-factor acr).
    op.nextLogin = { accountId: 'ann', amr: ['pwd', 'otp'], acr: 'urn:test:mfa' };
    await card.getByRole('button', { name: 'Sign in again' }).click();
    await page.getByRole('button', { name: 'Sign out' }).waitFor();
    expect(op.authRequests.at(-1)!.get('max_age')).toBe('0');
    await page.goto(`${f.h.url}/console/#requests`);
    const again = page.locator('article.request', { hasText: 'db-1' });
    await again.waitFor({ timeout: 30_000 });
    await again.getByRole('button', { name: 'Approve' }).click();
    expect(Buffer.from(await waiting).equals(Buffer.from(a.secret))).toBe(true);
    a.agent.close();

    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL((u) => u.toString().startsWith(`${op.issuer}/session/end`));
    await page.goto(`${f.h.url}/console/`);
    await page.getByLabel('API token').waitFor();
  });
});
