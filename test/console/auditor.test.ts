/**
 * The auditor's view in Chromium: the log loads with its latest checkpoint, the filters
 * narrow it, "Verify" runs src/audit's verifyExport in the page (bundled, with the browser
 * twins of the hash and Ed25519 modules) and reports the checkpoint it matched; a log whose
 * checkpoint was signed by another key is refused; export offers the files
 * `sectorcrypt audit verify` takes.
 */
import { expect, it } from 'vitest';
import { readFile } from 'node:fs/promises';
import { describeWithTool } from '../tools.js';
import { verifyExport } from '../../src/audit/index.js';
import { chromiumMissing, signedInConsole } from './fixture.js';
import { makeUser, redeem } from '../broker/helpers.js';
import { xksCall } from '../broker/xks/signer.js';

const KMS_REQUEST = 'b42c7fbf-de61-441c-ae24-123456789012';

describeWithTool('chromium', chromiumMissing(), 'console: auditor view in Chromium', () => {
  const s = signedInConsole({
    approvers: 1,
    token: (t) => t.auditor,
    // Some history: keys made, and one AWS KMS call through an XKS keystore (docs/xks.md).
    prepare: async (f) => {
      for (const name of ['a', 'b', 'c']) await f.h.client.call('POST', '/v1/keys', { token: f.t.admin, body: { name } });
      const store = (await f.h.client.call('POST', '/v1/xks/keystores', { token: f.t.admin, body: { name: 'kms' } })).body;
      await xksCall(
        f.h.ca,
        `${f.h.url}${store.uriPath}/health`,
        { requestMetadata: { kmsOperation: 'KmsHealthCheck', kmsRequestId: KMS_REQUEST } },
        store,
      );
    },
  });

  it('loads the log and the latest checkpoint', async () => {
    expect(await s.page.locator('nav a').allInnerTexts()).toEqual(['Audit log']);
    await expect.poll(() => s.page.locator('main .status').first().innerText(), { timeout: 30_000 }).toMatch(/^Loaded \d+ records\.$/);
    const size = Number(await s.page.locator('.cp-size').innerText());
    expect(size).toBeGreaterThan(5);
    expect(await s.page.locator('table.log tbody tr').count()).toBeGreaterThan(5);
  });

  it('filters by action, outcome and actor', async () => {
    await s.page.getByLabel('Action').selectOption('key.create');
    await expect.poll(() => s.page.locator('table.log tbody tr').count()).toBe(4); // prod-db, a, b, c
    const actions = await s.page.locator('table.log tbody tr td:nth-child(4)').allInnerTexts();
    expect(new Set(actions)).toEqual(new Set(['key.create']));
    await s.page.getByLabel('Actor').fill('nobody-at-all');
    await expect.poll(() => s.page.locator('table.log tbody tr').count()).toBe(0);
    await s.page.getByLabel('Actor').fill('');
    await s.page.getByLabel('Action').selectOption('');
    await s.page.getByLabel('Request').fill(KMS_REQUEST);
    await expect.poll(() => s.page.locator('table.log tbody tr td:nth-child(4)').allInnerTexts()).toEqual(['xks.health']);
    await s.page.getByLabel('Request').fill('');
    await s.page.getByLabel('Outcome').selectOption('success');
    const outcomes = await s.page.locator('table.log tbody tr td:nth-child(6)').allInnerTexts();
    expect(outcomes.length).toBeGreaterThan(0);
    expect(new Set(outcomes)).toEqual(new Set(['success']));
    await s.page.getByLabel('From (local time)').fill('2000-01-01T00:00:00');
    await s.page.getByLabel('To (local time)').fill('2000-01-02T00:00:00');
    await expect.poll(() => s.page.locator('table.log tbody tr').count()).toBe(0);
    await s.page.getByLabel('From (local time)').fill('');
    await s.page.getByLabel('To (local time)').fill('');
  });

  it('verifies the loaded records against the signed checkpoint, in the browser', async () => {
    const size = Number(await s.page.locator('.cp-size').innerText());
    await s.page.getByRole('button', { name: 'Verify' }).click();
    await expect
      .poll(() => s.page.locator('.verdict').innerText())
      .toMatch(new RegExp(`^Verified: records 0 to ${size - 1} rebuild the signed root of the checkpoint at tree size ${size}`));
  });

  it('exports the files that sectorcrypt audit verify checks', async () => {
    const downloads: { name: string; text: string }[] = [];
    s.page.on('download', async (d) => {
      downloads.push({ name: d.suggestedFilename(), text: await readFile((await d.path())!, 'utf8') });
    });
    await s.page.getByRole('button', { name: 'Export' }).click();
    await expect.poll(() => downloads.length).toBe(3);
    const byExt = (ext: string) => downloads.find((d) => d.name.endsWith(ext))!.text;
    const verified = await verifyExport(byExt('.jsonl').trimEnd().split('\n'), byExt('.checkpoint'), byExt('.pub').trim());
    expect(verified.size).toBe(Number(await s.page.locator('.cp-size').innerText()));
  });

  it('names an edited record, and refuses a checkpoint the log key did not sign', async () => {
    // The broker is honest; stand a tampering proxy in its place for the page's reads.
    await s.page.route('**/v1/audit?*', async (route) => {
      const answer = await route.fetch();
      const body = (await answer.json()) as { records: unknown[]; lines: string[] };
      body.lines = body.lines.map((l) => (l.includes('"seq":3,') ? l.replace('"outcome":"success"', '"outcome":"failure"') : l));
      await route.fulfill({ response: answer, json: body });
    });
    await s.page.reload();
    await expect.poll(() => s.page.getByRole('button', { name: 'Verify' }).isEnabled(), { timeout: 30_000 }).toBe(true);
    await s.page.getByRole('button', { name: 'Verify' }).click();
    await expect.poll(() => s.page.locator('.verdict').innerText()).toMatch(/^Verification failed: ERR_AUDIT_TAMPERED: .*\b3\b/);
    await s.page.unroute('**/v1/audit?*');

    // Another tenant's checkpoint presented with this tenant's log key.
    const other = await s.f.h.client.call('POST', '/v1/tenants', {
      token: s.f.h.operatorToken,
      body: { name: 'elsewhere', admin: { name: 'z' } },
    });
    const aud = await makeUser(s.f.h, await redeem(s.f.h, other.body.admin.invitation), 'y', ['auditor']);
    const foreign = await s.f.h.client.call('GET', '/v1/audit/checkpoint', { token: aud });
    const own = await s.f.h.client.call('GET', '/v1/audit/checkpoint', { token: s.f.t.auditor });
    await s.page.route('**/v1/audit/checkpoint', (route) =>
      route.fulfill({ json: { checkpoint: foreign.body.checkpoint, verifierKey: own.body.verifierKey, size: foreign.body.size } }),
    );
    await s.page.reload();
    await expect.poll(() => s.page.locator('.checkpoint').innerText(), { timeout: 30_000 }).toMatch(/does not open: ERR_AUDIT_TAMPERED/);
    await expect.poll(() => s.page.getByRole('button', { name: 'Verify' }).isEnabled(), { timeout: 30_000 }).toBe(true);
    await s.page.getByRole('button', { name: 'Verify' }).click();
    await expect.poll(() => s.page.locator('.verdict').innerText()).toMatch(/^Verification failed: ERR_AUDIT_TAMPERED/);
    await s.page.unroute('**/v1/audit/checkpoint');
  });

  it('cannot open the approver or admin views, nor call their API (403)', async () => {
    await s.page.goto(`${s.f.h.url}/console/#policies`);
    await expect.poll(() => s.page.locator('main [role=alert]').innerText()).toContain('needs the role admin');
    const status = await s.page.evaluate(
      `Promise.all(['/v1/requests', '/v1/policies', '/v1/devices'].map((p) => fetch(p).then((r) => r.status)))`,
    );
    expect(status).toEqual([403, 403, 403]);
  });
});
