/**
 * A broker for the console's browser tests, its screenshots (scripts/console-screenshots.ts)
 * and its load bench (bench/console.ts): a tenant with admin, two approvers and an auditor,
 * a key under a manual-approval policy, enrolled agents asking for it, and Debian's Chromium
 * driven by playwright-core.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll } from 'vitest';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { BrokerAgent } from '../../src/agent/index.js';
import { hpkeSeal } from '../../src/keys/hpke.js';
import { makeTenant, startBroker, type Harness } from '../broker/helpers.js';

export const CHROMIUM = process.env.SECTORCRYPT_CHROMIUM ?? '/usr/bin/chromium';

/** Why Chromium cannot run here, or undefined. */
export function chromiumMissing(): string | undefined {
  return existsSync(CHROMIUM) ? undefined : `no Chromium at ${CHROMIUM} (apt-get install chromium)`;
}

/** dist/console/ from the sources, unless it is already there. */
export function ensureConsoleBuilt(): void {
  if (!existsSync('dist/console/app.js')) execFileSync(process.execPath, ['scripts/build-console.mjs', '--quiet'], { stdio: 'inherit' });
}

export function launchChromium(): Promise<Browser> {
  // As root, Chromium needs --no-sandbox; the broker's own CA is not in its trust store, so
  // contexts ignore certificate errors (the page is still https:, so Secure cookies work).
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--headless=new', '--disable-gpu', '--disable-dev-shm-usage'],
  });
}

export async function newPage(browser: Browser, viewport = { width: 1280, height: 800 }): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ ignoreHTTPSErrors: true, viewport });
  return { context, page: await context.newPage() };
}

export async function signIn(page: Page, url: string, token: string): Promise<void> {
  await page.goto(`${url}/console/`);
  await page.getByLabel('API token').fill(token);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('button', { name: 'Sign out' }).waitFor();
}

const te = new TextEncoder();

export interface ConsoleFixture {
  h: Harness;
  t: Awaited<ReturnType<typeof makeTenant>>;
  keyId: string;
  volume: string;
  /** An enrolled agent whose unwrap of the manual key pends until approved. */
  agent(name: string): Promise<{ agent: BrokerAgent; unwrap(wait: boolean): Promise<Uint8Array>; secret: Uint8Array }>;
}

export async function startConsoleFixture(approvers = 2): Promise<ConsoleFixture> {
  const h = await startBroker();
  const t = await makeTenant(h);
  const call = async (method: string, path: string, body?: unknown) => {
    const a = await h.client.call(method, path, { token: t.admin, body });
    if (a.status >= 300) throw new Error(`${method} ${path}: ${a.status} ${JSON.stringify(a.body)}`);
    return a.body;
  };
  const key = await call('POST', '/v1/keys', { name: 'prod-db' });
  await call('PUT', '/v1/policies/prod-db-volumes', {
    keys: [key.keyId],
    devices: { groups: ['prod-db'] },
    rules: {
      allOf: [
        { claim: 'identity.region', in: ['eu-west-1', 'eu-central-1'] },
        { claim: 'integrity.firewall', equals: true },
      ],
    },
    approval: { mode: 'manual', approvers, ttlSeconds: 3600 },
  });
  const publicKey = new Uint8Array(Buffer.from(key.publicKey as string, 'base64'));
  const volume = randomUUID();
  return {
    h,
    t,
    keyId: key.keyId,
    volume,
    async agent(name) {
      const { token } = await call('POST', '/v1/enrollment-tokens', { groups: ['prod-db'], uses: 1 });
      const stateDir = join(await mkdtemp(join(tmpdir(), 'sc-console-agent-')), 'state');
      (await BrokerAgent.enroll({ url: h.url, ca: h.ca, token, stateDir, device: { name } })).close();
      const agent = await BrokerAgent.load({
        stateDir,
        claims: { identity: { region: 'eu-west-1', instanceId: `i-${name}` }, integrity: { firewall: true } },
      });
      const secret = crypto.getRandomValues(new Uint8Array(32));
      const s = await hpkeSeal(
        'x25519',
        publicKey,
        te.encode('sectorcrypt-luks2/v1 broker'),
        te.encode(`${key.keyId}/1/${volume}`),
        secret,
      );
      const sealed = { keyId: key.keyId as string, version: 1, enc: s.enc, ciphertext: s.ciphertext };
      return {
        agent,
        secret,
        unwrap: (wait) => agent.unwrap(sealed, { resource: `luks2:${volume}`, wait, pollMs: 100, timeoutMs: 120_000 }),
      };
    },
  };
}

/**
 * For one role's tests: before them the fixture and Chromium start, `prepare` runs and the
 * role signs in; after them both stop. The fields are set once beforeAll has run.
 */
export function signedInConsole(opts: {
  approvers: number;
  token: (t: ConsoleFixture['t']) => string;
  prepare?: (f: ConsoleFixture) => Promise<void>;
}): { f: ConsoleFixture; browser: Browser; page: Page } {
  const s = {} as { f: ConsoleFixture; browser: Browser; page: Page };
  beforeAll(async () => {
    ensureConsoleBuilt();
    [s.f, s.browser] = await Promise.all([startConsoleFixture(opts.approvers), launchChromium()]);
    await opts.prepare?.(s.f);
    s.page = (await newPage(s.browser)).page;
    await signIn(s.page, s.f.h.url, opts.token(s.f.t));
  });
  afterAll(async () => {
    await s.browser?.close();
    await s.f?.h.stop();
  });
  return s;
}
