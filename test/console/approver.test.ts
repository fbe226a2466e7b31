/**
 * The approver's view in Chromium: a pending request shows its device, key, resource,
 * claims and trace; Approve in the page moves it (the broker refuses the same person twice,
 * and the page shows that refusal); the second approval releases the agent's waiting
 * unwrap({wait: true}); Deny with a comment ends another one with ERR_DENIED.
 */
import { expect, it } from 'vitest';
import { describeWithTool } from '../tools.js';
import { chromiumMissing, signedInConsole } from './fixture.js';

describeWithTool('chromium', chromiumMissing(), 'console: approver view in Chromium', () => {
  const s = signedInConsole({
    approvers: 2,
    token: (t) => t.approver1,
  });

  it('shows the tenant and roles, and only the approver view', async () => {
    await expect.poll(() => s.page.locator('#who').innerText()).toContain(s.f.t.tenantId);
    expect(await s.page.locator('#who').innerText()).toMatch(/Roles\s+approver/);
    expect(await s.page.locator('nav a').allInnerTexts()).toEqual(['Pending requests']);
    expect(s.page.url()).toMatch(/#requests$/);
    // One vouched admin in this tenant: the header says the two-person rules do not hold.
    await expect
      .poll(() => s.page.locator('[data-separation]').innerText())
      .toMatch(/^Two-person rules are not enforced in this tenant: it has 1 vouched admin of 1\./);
  });

  it('approves in the page; the agent waiting on unwrap({wait: true}) gets its secret', async () => {
    const a = await s.f.agent('db-1');
    const waiting = a.unwrap(true);
    const card = s.page.locator('article.request', { hasText: 'db-1' });
    await card.waitFor({ timeout: 30_000 });
    const text = await card.innerText();
    expect(text).toContain('prod-db for db-1');
    expect(text).toContain(`luks2:${s.f.volume}`);
    expect(text).toContain('prod-db-volumes'); // policy
    // The claims are folded below the buttons; one click opens them.
    expect(text).not.toContain('eu-west-1');
    await card.getByText('All claims').click();
    expect(await card.innerText()).toContain('eu-west-1');
    expect(text).toMatch(/Approvals\s+0 of 2/);

    await card.getByLabel(/Comment/).fill('ticket OPS-1 checked');
    await card.getByRole('button', { name: 'Approve' }).click();
    await expect.poll(() => card.locator('.approvals').innerText()).toBe('1 of 2');
    // The same person again: the broker refuses, the s.page says why.
    await card.getByRole('button', { name: 'Approve' }).click();
    await expect.poll(() => card.locator('.error').innerText()).toContain('ERR_CONFLICT');

    const requestId = await card.getAttribute('data-request-id');
    const second = await s.f.h.client.call('POST', `/v1/requests/${requestId}/approve`, { token: s.f.t.approver2 });
    expect(second.body.status).toBe('approved');
    expect(Buffer.from(await waiting).equals(Buffer.from(a.secret))).toBe(true);
    await card.waitFor({ state: 'detached', timeout: 15_000 });
    a.agent.close();

    const log = await s.f.h.client.call('GET', '/v1/audit?limit=1000', { token: s.f.t.auditor });
    const vote = log.body.records.find(
      (r: { action: string; requestId?: string }) => r.action === 'request.approve' && r.requestId === requestId,
    );
    expect(vote.reasons.comment).toBe('ticket OPS-1 checked');
  });

  it('denies with a comment; the waiting agent gets ERR_DENIED', async () => {
    const a = await s.f.agent('db-2');
    const waiting = a.unwrap(true).then(
      () => undefined,
      (e: { code?: string }) => e,
    );
    const card = s.page.locator('article.request', { hasText: 'db-2' });
    await card.waitFor({ timeout: 30_000 });
    await card.getByLabel(/Comment/).fill('not in a change window');
    await card.getByRole('button', { name: 'Deny' }).click();
    expect((await waiting)?.code).toBe('ERR_DENIED');
    await expect.poll(() => s.page.locator('.notice').innerText()).toMatch(/is now denied/);
    a.agent.close();
  });

  it('newest first', async () => {
    const first = await s.f.agent('db-3');
    const second = await s.f.agent('db-4');
    const p1 = first.unwrap(false).catch(() => {});
    await p1;
    const p2 = second.unwrap(false).catch(() => {});
    await p2;
    await s.page.locator('article.request', { hasText: 'db-4' }).waitFor({ timeout: 30_000 });
    await s.page.locator('article.request', { hasText: 'db-3' }).waitFor();
    const headings = await s.page.locator('article.request h2').allInnerTexts();
    expect(headings.indexOf('prod-db for db-4')).toBeLessThan(headings.indexOf('prod-db for db-3'));
    first.agent.close();
    second.agent.close();
  });

  it('cannot open an admin or auditor view, and the broker refuses their calls (403)', async () => {
    await s.page.goto(`${s.f.h.url}/console/#audit`);
    await expect.poll(() => s.page.locator('main [role=alert]').innerText()).toContain('needs the role auditor or operator');
    expect(await s.page.locator('table.log').count()).toBe(0);
    // With the session's real CSRF token, so that only the role check stands in the way.
    const status = await s.page.evaluate(`fetch('/console/api/session').then((r) => r.json()).then(({ csrfToken }) =>
      Promise.all([['GET', '/v1/audit'], ['GET', '/v1/users'], ['POST', '/v1/keys', { name: 'mine' }]].map(([method, path, body]) =>
        fetch(path, { method, headers: { 'x-csrf-token': csrfToken, 'content-type': 'application/json' }, body: body && JSON.stringify(body) })
          .then(async (r) => [r.status, (await r.json()).error.code]))))`);
    expect(status).toEqual([
      [403, 'ERR_FORBIDDEN'],
      [403, 'ERR_FORBIDDEN'],
      [403, 'ERR_FORBIDDEN'],
    ]);
  });

  it('signs out; the cookie then opens nothing', async () => {
    await s.page.goto(`${s.f.h.url}/console/#requests`);
    await s.page.getByRole('button', { name: 'Sign out' }).click();
    await s.page.getByLabel('API token').waitFor();
    expect(await s.page.locator('form.signin [role=alert]').innerText()).toContain('Signed out');
    expect(await s.page.evaluate(`fetch('/v1/requests').then((r) => r.status)`)).toBe(401);
  });
});
