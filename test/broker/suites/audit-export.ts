/**
 * `sectorcrypt broker audit export --out DIR` as an auditor runs it: the three files it writes
 * are what `sectorcrypt audit verify` accepts as they are, and one edited byte in the export
 * makes that check fail; every page is fetched; existing files are refused without --force;
 * --since exports a tail that still verifies (it opens with the frontier header).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportAuditTo } from '../../../src/cli/broker-audit-export.js';
import { makeTenant, type Harness } from '../helpers.js';
import { CLI } from '../../entry.js';

interface Run {
  status: number;
  stdout: string;
  stderr: string;
}

/** The CLI as a child process; asynchronous, since the broker answering it runs in this process. */
function sectorcrypt(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [...CLI, ...args], { encoding: 'utf8', env: { ...process.env, ...env } }, (err, stdout, stderr) =>
      resolve({ status: err ? Number((err as { code?: unknown }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

function verify(dir: string): Promise<Run> {
  return sectorcrypt([
    'audit',
    'verify',
    join(dir, 'export.jsonl'),
    '--checkpoint',
    join(dir, 'checkpoint.txt'),
    '--public-key',
    join(dir, 'log.pub'),
  ]);
}

export function auditExportSuite(harness: () => Harness): void {
  describe('broker audit export --out', () => {
    let h: Harness;
    let t: Awaited<ReturnType<typeof makeTenant>>;
    let env: Record<string, string>;
    let caFile: string;
    beforeAll(async () => {
      h = harness();
      t = await makeTenant(h);
      for (let i = 0; i < 12; i++) await h.client.call('POST', '/v1/keys', { token: t.admin, body: { name: `export-${i}` } });
      caFile = join(h.dir, 'data', 'ca.pem');
      env = { SECTORCRYPT_BROKER_URL: h.url, SECTORCRYPT_BROKER_CA: caFile, SECTORCRYPT_BROKER_TOKEN: t.auditor };
    });

    it('writes export.jsonl, checkpoint.txt and log.pub that audit verify accepts, and rejects after one edited byte', async () => {
      const dir = join(await mkdtemp(join(tmpdir(), 'sc-export-')), 'out');
      const r = await sectorcrypt(['broker', 'audit', 'export', '--out', dir, '--json'], env);
      expect(r.status, r.stderr).toBe(0);
      const result = JSON.parse(r.stdout);
      expect((await readdir(dir)).sort()).toEqual(['checkpoint.txt', 'export.jsonl', 'log.pub']);
      const size = (await h.client.call('GET', '/v1/audit/checkpoint', { token: t.auditor })).body.size as number;
      expect(result).toMatchObject({ start: 0, records: result.size });
      expect(result.size).toBeGreaterThanOrEqual(12);
      expect(result.size).toBeLessThanOrEqual(size);
      const ok = await verify(dir);
      expect(ok.status, ok.stderr).toBe(0);
      expect(ok.stdout).toContain(`verified: ${result.size} records, seq 0..${result.size - 1}`);
      expect(ok.stdout).not.toContain('not covered');

      // One byte of one record changed: the offline check fails and names it.
      const text = await readFile(join(dir, 'export.jsonl'), 'utf8');
      const at = text.indexOf('"action":"key.create"');
      expect(at).toBeGreaterThan(0);
      await writeFile(join(dir, 'export.jsonl'), `${text.slice(0, at + 10)}K${text.slice(at + 11)}`);
      const bad = await verify(dir);
      expect(bad.status).toBe(1);
      expect(bad.stderr).toContain('ERR_AUDIT_TAMPERED');

      // The files are there now: refused without --force (and left as they were), replaced with it.
      const again = await sectorcrypt(['broker', 'audit', 'export', '--out', dir], env);
      expect(again.status).toBe(1);
      expect(again.stderr).toContain('ERR_EXISTS');
      expect((await verify(dir)).status).toBe(1);
      const forced = await sectorcrypt(['broker', 'audit', 'export', '--out', dir, '--force'], env);
      expect(forced.status, forced.stderr).toBe(0);
      expect((await verify(dir)).status).toBe(0);
      expect((await readdir(dir)).sort()).toEqual(['checkpoint.txt', 'export.jsonl', 'log.pub']); // no temporary file left
    }, 60_000);

    it('fetches every page, and --since exports a tail that verifies on its own', async () => {
      const conn = { url: h.url, ca: caFile, token: t.auditor };
      const whole = join(await mkdtemp(join(tmpdir(), 'sc-export-')), 'whole');
      // Pages of 5: the export crosses several page boundaries.
      const all = await exportAuditTo(conn, whole, { pageSize: 5 });
      expect(all.size).toBeGreaterThan(15);
      expect(all.records).toBe(all.size);
      const lines = (await readFile(join(whole, 'export.jsonl'), 'utf8')).trimEnd().split('\n');
      expect(lines.map((l) => JSON.parse(l).record.seq)).toEqual(lines.map((_, i) => i));
      expect((await verify(whole)).status).toBe(0);

      const tail = join(await mkdtemp(join(tmpdir(), 'sc-export-')), 'tail');
      const r = await sectorcrypt(['broker', 'audit', 'export', '--out', tail, '--since', '7', '--json'], env);
      expect(r.status, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout)).toMatchObject({ start: 7 });
      const tailLines = (await readFile(join(tail, 'export.jsonl'), 'utf8')).trimEnd().split('\n');
      expect(JSON.parse(tailLines[0]!)).toMatchObject({ start: 7 });
      expect(JSON.parse(tailLines[1]!).record.seq).toBe(7);
      const ok = await verify(tail);
      expect(ok.status, ok.stderr).toBe(0);
      expect(ok.stdout).toContain('seq 7..');
      // The API: since and after together are a 400 with the error shape.
      const both = await h.client.call('GET', '/v1/audit?since=3&after=4', { token: t.auditor });
      expect(both.status).toBe(400);
      expect(both.body.error.code).toBe('ERR_ARGUMENT');
    }, 60_000);

    it('keeps the one-page export without --out', async () => {
      const r = await sectorcrypt(['broker', 'audit', 'export', '--after', '2', '--limit', '3', '--json'], env);
      expect(r.status, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout).records.map((x: { seq: number }) => x.seq)).toEqual([3, 4, 5]);
    });
  });
}
