/**
 * The tenant's Merkle audit log through the API, checked as an auditor would offline: the
 * export verifies against the served checkpoint and verifier key with the library and with
 * `sectorcrypt audit verify`; edited, removed, reordered and inserted copies name the first
 * bad record; inclusion and consistency proofs from the API verify with src/audit.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openCheckpoint, recordLeafHash, verifyConsistency, verifyExport, verifyInclusion } from '../../../src/audit/index.js';
import { makeTenant, type Clock, type Harness } from '../helpers.js';
import { archiveAudit } from '../../../src/cli/broker-audit.js';
import { CLI } from '../../entry.js';

/** The whole log, page by page, as one export (lines). */
export async function exportLog(h: Harness, token: string): Promise<{ lines: string[]; records: any[] }> {
  const lines: string[] = [];
  const records: any[] = [];
  let after: number | undefined;
  for (;;) {
    const r = await h.client.call('GET', `/v1/audit?limit=7${after === undefined ? '' : `&after=${after}`}`, { token });
    expect(r.status).toBe(200);
    if (r.body.records.length === 0) return { lines, records };
    lines.push(...r.body.lines);
    records.push(...r.body.records);
    after = r.body.records[r.body.records.length - 1].seq;
  }
}

function cliVerify(dir: string, name: string, lines: string[]): Promise<{ code: number; out: string }> {
  return new Promise((resolve, reject) => {
    writeFile(join(dir, name), lines.map((l) => `${l}\n`).join(''))
      .then(() => {
        const args = [
          ...CLI,
          'audit',
          'verify',
          join(dir, name),
          '--checkpoint',
          join(dir, 'checkpoint'),
          '--public-key',
          join(dir, 'log.pub'),
        ];
        execFile(process.execPath, args, (err, stdout, stderr) => resolve({ code: err ? Number(err.code ?? 1) : 0, out: stdout + stderr }));
      })
      .catch(reject);
  });
}

async function message(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    expect((err as { code: string }).code).toBe('ERR_AUDIT_TAMPERED');
    return (err as Error).message;
  }
  throw new Error('verified a tampered export');
}

export function auditLogSuite(harness: () => Harness, clock: Clock, opts: { cli: boolean }): void {
  describe('Merkle audit log', () => {
    let h: Harness;
    let t: Awaited<ReturnType<typeof makeTenant>>;
    let lines: string[];
    let records: any[];
    let checkpoint: string;
    let vkey: string;

    beforeAll(async () => {
      h = harness();
      t = await makeTenant(h);
      for (let i = 0; i < 12; i++) await h.client.call('POST', '/v1/keys', { token: t.admin, body: { name: `audit-${i}` } });
      const cp = await h.client.call('GET', '/v1/audit/checkpoint', { token: t.auditor });
      expect(cp.status).toBe(200);
      ({ checkpoint, verifierKey: vkey } = cp.body);
      ({ lines, records } = await exportLog(h, t.auditor));
    }, 60_000);

    it('serves records from seq 0 whose leaf hashes build the signed root', async () => {
      expect(records.map((r) => r.seq)).toEqual(records.map((_, i) => i));
      const c = openCheckpoint(checkpoint, vkey);
      expect(c.origin).toBe(`sectorcrypt-broker/${t.tenantId}`);
      expect(c.size).toBe(records.length);
      expect(await verifyExport(lines, checkpoint, vkey)).toMatchObject({ size: records.length, start: 0, beyond: 0 });
      expect(Buffer.from(recordLeafHash(records[3])).toString('base64')).toBe(JSON.parse(lines[3]!).leafHash);
    });

    it('names the first edited, removed, moved or inserted record', async () => {
      const k = 5;
      const edited = [...lines];
      edited[k] = edited[k]!.replace(/"actor":"[^"]*"/, '"actor":"mallory"');
      expect(edited[k]).not.toBe(lines[k]);
      const removed = lines.filter((_, i) => i !== k);
      const moved = [...lines];
      [moved[k], moved[k + 1]] = [moved[k + 1]!, moved[k]!];
      const inserted = [...lines.slice(0, k + 2), lines[k]!, ...lines.slice(k + 2)];
      expect(await message(verifyExport(edited, checkpoint, vkey))).toMatch(new RegExp(`seq ${k} .*edited`));
      expect(await message(verifyExport(removed, checkpoint, vkey))).toMatch(new RegExp(`seq ${k} was removed`));
      expect(await message(verifyExport(moved, checkpoint, vkey))).toMatch(new RegExp(`seq ${k}.*moved`));
      expect(await message(verifyExport(inserted, checkpoint, vkey))).toMatch(new RegExp(`seq ${k} appears again.*inserted`));

      if (!opts.cli) return;
      const dir = await mkdtemp(join(tmpdir(), 'sc-audit-'));
      await writeFile(join(dir, 'checkpoint'), checkpoint);
      await writeFile(join(dir, 'log.pub'), `${vkey}\n`);
      const runs = await Promise.all([
        cliVerify(dir, 'good.jsonl', lines),
        cliVerify(dir, 'edited.jsonl', edited),
        cliVerify(dir, 'removed.jsonl', removed),
        cliVerify(dir, 'moved.jsonl', moved),
        cliVerify(dir, 'inserted.jsonl', inserted),
      ]);
      expect(runs[0]).toMatchObject({ code: 0 });
      expect(runs[0]!.out).toContain(`verified: ${records.length} records`);
      expect(runs.slice(1).map((r) => r.code)).toEqual([1, 1, 1, 1]);
      expect(runs[1]!.out).toMatch(new RegExp(`line ${k + 1}: record seq ${k} .*edited`));
      expect(runs[2]!.out).toMatch(new RegExp(`seq ${k} was removed`));
      expect(runs[3]!.out).toMatch(new RegExp(`seq ${k}.*moved`));
      expect(runs[4]!.out).toMatch(/inserted/);
    }, 60_000);

    it('serves inclusion and consistency proofs that verify against signed checkpoints', async () => {
      const older = openCheckpoint(checkpoint, vkey);
      for (const seq of [0, 1, 6, older.size - 1]) {
        const p = await h.client.call('GET', `/v1/audit/proof?seq=${seq}&size=${older.size}`, { token: t.auditor });
        expect(p.status).toBe(200);
        verifyInclusion(p.body, recordLeafHash(records[seq]), older);
        // The proof of another record does not prove this one.
        expect(() => verifyInclusion(p.body, recordLeafHash(records[(seq + 1) % older.size]), older)).toThrow(/not in the tree/);
      }
      for (let i = 0; i < 5; i++) await h.client.call('POST', '/v1/keys', { token: t.admin, body: { name: `later-${i}` } });
      const newer = await h.client.call('GET', '/v1/audit/checkpoint', { token: t.auditor });
      const next = openCheckpoint(newer.body.checkpoint, vkey);
      expect(next.size).toBe(older.size + 5);
      for (const from of [1, 3, older.size]) {
        const c = await h.client.call('GET', `/v1/audit/consistency?from=${from}&to=${next.size}`, { token: t.auditor });
        expect(c.status).toBe(200);
        if (from === older.size) verifyConsistency(c.body, older, next);
        else expect(c.body.fromSize).toBe(from);
      }
      expect((await h.client.call('GET', `/v1/audit/proof?seq=0&size=${next.size + 100}`, { token: t.auditor })).body.error.code).toBe(
        'ERR_NOT_FOUND',
      );
    });

    it('serves the log to its auditor only', async () => {
      for (const path of ['/v1/audit', '/v1/audit/checkpoint', '/v1/audit/proof?seq=0&size=1', '/v1/audit/consistency?from=1&to=1']) {
        expect((await h.client.call('GET', path, { token: t.admin })).body.error.code, path).toBe('ERR_FORBIDDEN');
        expect((await h.client.call('GET', path, { token: t.approver1 })).body.error.code, path).toBe('ERR_FORBIDDEN');
      }
      const other = await makeTenant(h);
      const theirs = await exportLog(h, other.auditor);
      expect(theirs.records.some((r) => records.some((mine) => mine.target === r.target && r.action === 'key.create'))).toBe(false);
      const cp = await h.client.call('GET', '/v1/audit/checkpoint', { token: other.auditor });
      expect(cp.body.verifierKey).not.toBe(vkey);
    });

    it('archives old records into a segment that verifies alone; proofs still verify', async () => {
      const dir = await mkdtemp(join(tmpdir(), 'sc-archive-'));
      await writeFile(join(dir, 'ca.pem'), h.ca);
      const conn = { url: h.url, ca: join(dir, 'ca.pem'), token: t.auditor };
      const before = new Date(Date.now() + 1000).toISOString();
      // Within the retention nothing goes.
      const young = await h.client.call('POST', '/v1/audit/archive', { token: t.auditor, body: { through: 3 } });
      expect(young.body.error.code).toBe('ERR_FORBIDDEN');
      expect((await h.client.call('POST', '/v1/audit/archive', { token: t.admin, body: { through: 3 } })).body.error.code).toBe(
        'ERR_FORBIDDEN',
      );
      const old = openCheckpoint((await h.client.call('GET', '/v1/audit/checkpoint', { token: t.auditor })).body.checkpoint, vkey);
      const full = await exportLog(h, t.auditor);
      clock.offsetMs = 400 * 86_400_000;
      let result: Awaited<ReturnType<typeof archiveAudit>>;
      try {
        result = await archiveAudit(conn, before, join(dir, 'out'));
      } finally {
        clock.offsetMs = 0;
      }
      expect(result).toMatchObject({ start: 0, end: full.records.length, archived: full.records.length });
      const segment = (await readFile(result.files[0]!, 'utf8')).trimEnd().split('\n');
      const segmentCheckpoint = await readFile(result.files[1]!, 'utf8');
      expect(segment).toEqual(full.lines);
      expect(await verifyExport(segment, segmentCheckpoint, (await readFile(result.files[2]!, 'utf8')).trim())).toMatchObject({
        size: result.end,
        start: 0,
      });

      // What stays in the broker: a frontier header, then the records from `end`.
      const rest = await exportLog(h, t.auditor);
      expect(rest.records[0].seq).toBe(result.end);
      expect(rest.records[0].action).toBe('audit.archive');
      expect(rest.lines[0]).toMatch(/^\{"frontier":/);
      const now = await h.client.call('GET', '/v1/audit/checkpoint', { token: t.auditor });
      const current = openCheckpoint(now.body.checkpoint, vkey);
      expect(await verifyExport(rest.lines, now.body.checkpoint, vkey)).toMatchObject({ start: result.end, size: current.size });
      const proof = await h.client.call('GET', `/v1/audit/proof?seq=3&size=${current.size}`, { token: t.auditor });
      verifyInclusion(proof.body, recordLeafHash(full.records[3]), current);
      const cons = await h.client.call('GET', `/v1/audit/consistency?from=${old.size}&to=${current.size}`, { token: t.auditor });
      verifyConsistency(cons.body, old, current);
    });
  });
}
