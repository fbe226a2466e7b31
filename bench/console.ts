/**
 * `npm run bench:console`: what the web console weighs and how long its views take to load
 * in Debian's Chromium against a broker whose tenant log holds N audit records.
 *
 *   node scripts/build-console.mjs && node --import tsx bench/console.ts [--records 10000] [--runs 3]
 *
 * The records are appended straight into the store (appendAuditBatch of
 * src/broker/store/audit.ts, as the routes do, Merkle nodes included) while the broker is stopped, then the broker is opened
 * on that store. Each view is timed from navigation until its status line stops saying it is
 * loading; "Verify" from the click until its verdict. Medians of --runs.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { Page } from 'playwright-core';
import { Broker } from '../src/broker/index.js';
import { openStore } from '../src/broker/store/open.js';
import { appendAuditBatch, type AuditInput } from '../src/broker/audit/log.js';
import { Client, makeTenant } from '../test/broker/helpers.js';
import { ensureConsoleBuilt, launchChromium, newPage, signIn } from '../test/console/fixture.js';

const { values } = parseArgs({ options: { records: { type: 'string', default: '10000' }, runs: { type: 'string', default: '3' } } });
const RECORDS = Number(values.records);
const RUNS = Number(values.runs);

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function settled(page: Page, done: (lines: string[]) => boolean): Promise<void> {
  for (;;) {
    const lines = await page.locator('main .status, main .verdict').allInnerTexts();
    if (done(lines)) return;
    await page.waitForTimeout(10);
  }
}

async function main(): Promise<void> {
  ensureConsoleBuilt();
  const sizes = ['index.html', 'app.js', 'app.css'].map((f) => {
    const bytes = readFileSync(join('dist/console', f));
    return { file: f, bytes: bytes.length, gzip: gzipSync(bytes, { level: 9 }).length };
  });
  const dir = await mkdtemp(join(tmpdir(), 'sc-bench-console-'));
  const dataDir = join(dir, 'data');
  const database = `pglite:${join(dir, 'db')}`;
  try {
    // 1. A tenant, then N records appended while the broker is stopped.
    const made = await Broker.create({ dataDir, database });
    let url = await made.broker.listen({ host: '127.0.0.1', port: 0 });
    const ca = await readFile(made.caFile, 'utf8');
    let client = new Client(url, ca);
    const t = await makeTenant({ client, operatorToken: made.operatorToken });
    client.close();
    await made.broker.close();
    const fillStart = performance.now();
    const store = await openStore(database);
    const actions = ['key.release', 'request.pending', 'request.approve', 'key.deny', 'policy.update', 'agent.enroll'] as const;
    for (let done = 0; done < RECORDS;) {
      const batch = Math.min(1000, RECORDS - done);
      const recs: AuditInput[] = [];
      for (let i = 0; i < batch; i++) {
        const n = done + i;
        const action = actions[n % actions.length]!;
        recs.push({
          actor: n % 3 ? `dev_${String(n % 50).padStart(8, '0')}-0000-0000-0000-000000000000` : 'broker',
          action,
          target: `key_bench/${1 + (n % 3)}`,
          outcome: action === 'key.deny' ? 'denied' : action === 'request.pending' ? 'pending' : 'success',
          reasons:
            action === 'key.deny'
              ? { trace: [{ policy: 'p', rule: 'rules.allOf[0]', claim: 'identity.region', expected: ['eu-west-1'], actual: 'us-east-1' }] }
              : null,
          sourceIp: '10.0.0.7',
        });
      }
      await store.tx((q) => appendAuditBatch(q, t.tenantId, recs));
      done += batch;
    }
    await store.close();
    const fillSeconds = (performance.now() - fillStart) / 1000;

    // 2. The broker again, and the console in Chromium.
    const broker = await Broker.open({ dataDir });
    url = await broker.listen({ host: '127.0.0.1', port: 0 });
    client = new Client(url, ca);
    const browser = await launchChromium();
    const timings: Record<string, number[]> = {
      'sign-in': [],
      'audit view (all records)': [],
      'verify in the page': [],
      'approver view': [],
      'policies view': [],
    };
    try {
      for (let run = 0; run < RUNS; run++) {
        const { context, page } = await newPage(browser);
        let t0 = performance.now();
        await signIn(page, url, t.auditor);
        timings['sign-in']!.push(performance.now() - t0);
        t0 = performance.now();
        await page.goto(`${url}/console/#audit`);
        await settled(page, (l) => l.some((s) => /^Loaded \d+ records\.$/.test(s)));
        timings['audit view (all records)']!.push(performance.now() - t0);
        t0 = performance.now();
        await page.getByRole('button', { name: 'Verify' }).click();
        await settled(page, (l) => l.some((s) => s.startsWith('Verified') || s.startsWith('Verification failed')));
        timings['verify in the page']!.push(performance.now() - t0);
        const verdict = await page.locator('main .verdict').innerText();
        if (!verdict.startsWith('Verified')) throw new Error(verdict);
        await context.close();

        for (const [name, token, view] of [
          ['approver view', t.approver1, 'requests'],
          ['policies view', t.admin, 'policies'],
        ] as const) {
          const p = await newPage(browser);
          await signIn(p.page, url, token);
          t0 = performance.now();
          await p.page.goto(`${url}/console/#${view}`);
          await settled(p.page, (l) => l.length > 0 && !l.some((s) => s.startsWith('Loading') || s.endsWith('…')));
          timings[name]!.push(performance.now() - t0);
          await p.context.close();
        }
      }
    } finally {
      await browser.close();
      client.close();
      await broker.close();
    }
    const size = await openStore(database).then(async (s) => {
      const r = await s.query<{ n: number }>('SELECT count(*)::integer AS n FROM audit_log WHERE tenant_id = $1', [t.tenantId]);
      await s.close();
      return r[0]!.n;
    });
    console.log(
      `console bundle: ${sizes.map((s) => `${s.file} ${s.bytes} B (gzip ${s.gzip} B)`).join(', ')}; total ${sizes.reduce((a, s) => a + s.bytes, 0)} B (gzip ${sizes.reduce((a, s) => a + s.gzip, 0)} B)`,
    );
    console.log(
      `tenant log: ${size} records (${RECORDS} appended in ${fillSeconds.toFixed(1)} s); Chromium ${browser.version()}; medians of ${RUNS} runs:`,
    );
    for (const [name, xs] of Object.entries(timings))
      console.log(`  ${name.padEnd(26)} ${median(xs).toFixed(0).padStart(6)} ms   (runs: ${xs.map((x) => x.toFixed(0)).join(', ')})`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
