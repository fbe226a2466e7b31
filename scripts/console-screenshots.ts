/**
 * The screenshots in docs/console.md: a broker with a little history, each view in Debian's
 * Chromium at 1280x800 (and the approver's on a phone), saved to docs/console/*.png.
 *
 *   node scripts/build-console.mjs && node --import tsx scripts/console-screenshots.ts
 */
import { mkdir } from 'node:fs/promises';
import type { Page } from 'playwright-core';
import { ensureConsoleBuilt, launchChromium, newPage, signIn, startConsoleFixture } from '../test/console/fixture.js';

const OUT = 'docs/console';

/** Waits until no status line says it is still working ("Loading …"). */
async function settle(page: Page): Promise<void> {
  // (page.waitForFunction would eval a string, which the console's CSP rightly refuses.)
  for (let i = 0; i < 600; i++) {
    const lines = await page.locator('main .status').allInnerTexts();
    if (lines.length && !lines.some((t) => t.endsWith('…') || t.startsWith('Loading'))) return;
    await page.waitForTimeout(100);
  }
  throw new Error('the view did not finish loading');
}

async function main(): Promise<void> {
  ensureConsoleBuilt();
  await mkdir(OUT, { recursive: true });
  const f = await startConsoleFixture(2);
  const browser = await launchChromium();
  const shot = async (page: Page, name: string) => {
    await page.screenshot({ path: `${OUT}/${name}.png` });
    console.log(`${OUT}/${name}.png`);
  };
  try {
    const agents = [];
    for (const name of ['db-eu-1', 'db-eu-2']) {
      const a = await f.agent(name);
      agents.push(a);
      await a.unwrap(false).catch(() => {});
    }
    const first = (await f.h.client.call('GET', '/v1/requests?status=pending', { token: f.t.approver2 })).body.requests.at(-1);
    await f.h.client.call('POST', `/v1/requests/${first.requestId}/approve`, {
      token: f.t.approver2,
      body: { comment: 'change CHG-1042' },
    });
    await f.h.client.call('POST', '/v1/keys', { token: f.t.admin, body: { name: 'backups' } });

    const { page } = await newPage(browser);
    await page.goto(`${f.h.url}/console/`);
    await page.getByLabel('API token').waitFor();
    await shot(page, 'signin');

    await signIn(page, f.h.url, f.t.approver1);
    await page.locator('article.request').nth(1).waitFor();
    await shot(page, 'requests');
    const phone = (await newPage(browser, { width: 390, height: 844 })).page;
    await signIn(phone, f.h.url, f.t.approver1);
    await phone.locator('article.request').first().waitFor();
    await shot(phone, 'requests-phone');

    await page.getByRole('button', { name: 'Sign out' }).click();
    await signIn(page, f.h.url, f.t.admin);
    for (const view of ['devices', 'keys', 'users']) {
      await page.goto(`${f.h.url}/console/#${view}`);
      await settle(page);
      await shot(page, view);
    }
    await page.goto(`${f.h.url}/console/#policies`);
    await settle(page);
    await page.getByRole('button', { name: 'prod-db-volumes' }).click();
    const editor = page.getByLabel('Policy (JSON)');
    await editor.fill((await editor.inputValue()).replace('"eu-central-1"', '"eu-central-1", 7, {"x": 1}'));
    await page.locator('.verdict .bad').waitFor();
    await shot(page, 'policies');

    await page.getByRole('button', { name: 'Sign out' }).click();
    await signIn(page, f.h.url, f.t.auditor);
    await settle(page);
    await page.getByRole('button', { name: 'Verify' }).click();
    await page.locator('.verdict.good').waitFor();
    await shot(page, 'audit');
    for (const a of agents) a.agent.close();
  } finally {
    await browser.close();
    await f.h.stop();
  }
}

await main();
