/**
 * Accessibility and layout in Chromium: sign-in and view changes with the keyboard alone,
 * a label on every control of every view, and no sideways scrolling of the page on a phone
 * (tables scroll inside their own box), for each role's views. Also the page's own hygiene:
 * no inline script or style (the CSP forbids both), no request leaving the broker.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { describeWithTool } from '../tools.js';
import {
  chromiumMissing,
  ensureConsoleBuilt,
  launchChromium,
  newPage,
  signIn,
  startConsoleFixture,
  type ConsoleFixture,
} from './fixture.js';

/** Controls without a label or aria-label, as "tag#id" strings. */
const UNLABELLED = `[...document.querySelectorAll('input, select, textarea, button')]
  .filter((el) => el.offsetParent !== null)
  .filter((el) => el.tagName === 'BUTTON' ? !(el.textContent.trim() || el.getAttribute('aria-label')) : !(el.labels?.length || el.getAttribute('aria-label')))
  .map((el) => el.tagName.toLowerCase() + '#' + el.id)`;

const OVERFLOW = `document.documentElement.scrollWidth - document.documentElement.clientWidth`;

describeWithTool('chromium', chromiumMissing(), 'console: keyboard, labels and phone layout in Chromium', () => {
  let f: ConsoleFixture;
  let browser: Browser;
  const external: string[] = [];

  beforeAll(async () => {
    ensureConsoleBuilt();
    [f, browser] = await Promise.all([startConsoleFixture(1), launchChromium()]);
    const a = await f.agent('phone-1');
    await a.unwrap(false).catch(() => {});
    a.agent.close();
  });
  afterAll(async () => {
    await browser?.close();
    await f?.h.stop();
  });

  async function open(viewport?: { width: number; height: number }): Promise<Page> {
    const { page } = await newPage(browser, viewport);
    page.on('request', (r) => {
      if (!r.url().startsWith(f.h.url) && !r.url().startsWith('blob:') && !r.url().startsWith('data:')) external.push(r.url());
    });
    return page;
  }

  it('signs in and moves between views with the keyboard alone', async () => {
    const page = await open();
    await page.goto(`${f.h.url}/console/`);
    await page.getByLabel('API token').waitFor();
    // The token field has focus on arrival.
    await page.keyboard.type(f.t.admin);
    await page.keyboard.press('Enter');
    await page.getByRole('button', { name: 'Sign out' }).waitFor();
    await page.getByRole('link', { name: 'Keys' }).focus();
    await page.keyboard.press('Enter');
    await page.waitForURL(/#keys$/);
    await page.getByLabel('Key name').focus();
    await page.keyboard.type('typed-key');
    await page.keyboard.press('Enter');
    await page.locator('article.key', { hasText: 'typed-key' }).waitFor();
    // Tab reaches the views from the top of the page.
    await page.locator('body').focus();
    const reached: string[] = [];
    for (let i = 0; i < 8; i++) {
      await page.keyboard.press('Tab');
      reached.push(await page.evaluate(`document.activeElement.textContent.trim()`));
    }
    expect(reached).toEqual(expect.arrayContaining(['Sign out', 'Devices', 'Keys', 'Policies', 'Users']));
    await page.close();
  });

  for (const [role, token, views] of [
    ['approver', () => f.t.approver1, ['requests']],
    ['admin', () => f.t.admin, ['devices', 'keys', 'policies', 'users']],
    ['auditor', () => f.t.auditor, ['audit']],
  ] as const) {
    it(`labels every control and fits a phone: ${role}`, async () => {
      for (const viewport of [
        { width: 1280, height: 800 },
        { width: 390, height: 844 },
      ]) {
        const page = await open(viewport);
        await signIn(page, f.h.url, token());
        for (const view of views) {
          await page.goto(`${f.h.url}/console/#${view}`);
          await expect.poll(() => page.locator('main .status').first().innerText(), { timeout: 30_000 }).not.toMatch(/^Loading|…$/);
          expect(await page.evaluate(UNLABELLED), `${view} at ${viewport.width}px`).toEqual([]);
          expect(await page.evaluate(OVERFLOW), `${view} at ${viewport.width}px scrolls sideways`).toBeLessThanOrEqual(0);
        }
        await page.close();
      }
    });
  }

  it('has no inline script or style, and asked nothing of any other origin', async () => {
    const page = await open();
    await page.goto(`${f.h.url}/console/`);
    expect(await page.evaluate(`[...document.querySelectorAll('script:not([src]), style, [style]')].length`)).toBe(0);
    expect(external).toEqual([]);
    await page.close();
  });
});
