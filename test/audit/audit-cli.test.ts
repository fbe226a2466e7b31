/**
 * `sectorcrypt audit verify` and `audit verify-proof` as an auditor runs them: a child
 * process (test/entry.ts, as test/cli does). The untouched export
 * verifies; each tampered copy fails with exit 1 and one line naming the first bad record.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { signCheckpoint } from '../../src/audit/checkpoint.js';
import { rootHash } from '../../src/audit/compact-range.js';
import { exportLine } from '../../src/audit/export-format.js';
import { consistencyProof, inclusionProof } from '../../src/audit/proof-build.js';
import { consistencyProofJson, inclusionProofJson } from '../../src/audit/proof-json.js';
import { makeLog, ORIGIN } from './log-fixture.js';
import { tamperings } from './tamperings.js';
import { CLI } from '../entry.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const dir = mkdtempSync(path.join(tmpdir(), 'sectorcrypt-audit-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const at = (name: string) => path.join(dir, name);

function cli(args: string[]) {
  const result = spawnSync(process.execPath, [...CLI, 'audit', ...args], { cwd: root });
  return { status: result.status, stdout: result.stdout.toString(), stderr: result.stderr.toString() };
}

const log = makeLog(100);
writeFileSync(at('log.pub'), `${log.vkey}\n`);
writeFileSync(at('checkpoint'), log.checkpoint());
writeFileSync(at('checkpoint-40'), log.checkpoint(40));
const keys = ['--checkpoint', at('checkpoint'), '--public-key', at('log.pub')];
const exportFile = (name: string, lines: readonly string[]) => {
  writeFileSync(at(name), lines.map((l) => `${l}\n`).join(''));
  return at(name);
};

describe('sectorcrypt audit verify', () => {
  it('verifies the untouched export: exit 0 and one line', () => {
    const run = cli(['verify', exportFile('good.jsonl', log.lines), ...keys]);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/^verified: 100 records, seq 0\.\.99, root [A-Za-z0-9+/]{43}=\n$/);
  });

  for (const [i, t] of tamperings.entries()) {
    it(`exits 1 naming the first bad record when ${t.what}`, () => {
      const run = cli(['verify', exportFile(`bad-${i}.jsonl`, t.apply(log.lines)), ...keys]);
      expect(run.status).toBe(1);
      expect(run.stdout).toBe('');
      expect(run.stderr).toMatch(/^error: .*\(ERR_AUDIT_TAMPERED\)\n$/);
      expect(run.stderr).toMatch(t.expect);
    });
  }

  it('with --earlier, places an edit whose leaf hash was rewritten between two checkpoints', () => {
    const lines = [...log.lines];
    lines[36] = exportLine({ ...log.records[36]!, outcome: 'ok' });
    writeFileSync(at('checkpoint-30'), log.checkpoint(30));
    const run = cli(['verify', exportFile('rewritten.jsonl', lines), ...keys, '--earlier', at('checkpoint-30'), at('checkpoint-40')]);
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(
      /^error: a record in seq 30\.\.39 was edited, its leaf hash rewritten to match: .*\(ERR_AUDIT_TAMPERED\)\n$/,
    );
  });

  it('says when the export stops short, and refuses a checkpoint from another key', () => {
    const short = cli(['verify', exportFile('short.jsonl', log.lines.slice(0, 70)), ...keys]);
    expect(short.status).toBe(1);
    expect(short.stderr).toMatch(
      /^error: the export stops short of the checkpoint: it ends before seq 70, the checkpoint covers 100 records \(ERR_AUDIT_TAMPERED\)\n$/,
    );
    writeFileSync(at('other.pub'), makeLog(1).vkey);
    const other = cli(['verify', at('good.jsonl'), '--checkpoint', at('checkpoint'), '--public-key', at('other.pub')]);
    expect(other.status).toBe(1);
    expect(other.stderr).toMatch(/no signature by .*\(ERR_AUDIT_TAMPERED\)/);
    const missing = cli(['verify', at('nothing.jsonl'), ...keys]);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toMatch(/^error: cannot read export .*\(ERR_NOT_FOUND\)\n$/);
  });
});

describe('sectorcrypt audit verify-proof', () => {
  writeFileSync(at('inclusion.json'), JSON.stringify(inclusionProofJson(17, 100, inclusionProof(log.leaves, 17, 100))));
  writeFileSync(at('record-17'), log.lines[17]!);
  writeFileSync(at('record-18'), log.lines[18]!);
  writeFileSync(at('consistency.json'), JSON.stringify(consistencyProofJson(40, 100, consistencyProof(log.leaves, 40, 100))));

  it('verifies an inclusion proof of a record, and refuses it for another record', () => {
    const good = cli(['verify-proof', '--inclusion', at('inclusion.json'), '--record', at('record-17'), ...keys]);
    expect(good.stderr).toBe('');
    expect(good.stdout).toMatch(/^verified: record 17 is in the log at size 100/);
    const bad = cli(['verify-proof', '--inclusion', at('inclusion.json'), '--record', at('record-18'), ...keys]);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/^error: leaf 17 is not in the tree .*\(ERR_AUDIT_TAMPERED\)\n$/);
  });

  it('verifies a consistency proof between two checkpoints, and refuses it when swapped', () => {
    const good = cli(['verify-proof', '--consistency', at('consistency.json'), '--old-checkpoint', at('checkpoint-40'), ...keys]);
    expect(good.stderr).toBe('');
    expect(good.stdout).toMatch(/^verified: the log at size 100 extends the log at size 40/);
    const wrong = cli([
      'verify-proof',
      '--consistency',
      at('consistency.json'),
      '--old-checkpoint',
      at('checkpoint'),
      '--checkpoint',
      at('checkpoint-40'),
      '--public-key',
      at('log.pub'),
    ]);
    expect(wrong.status).toBe(1);
    expect(wrong.stderr).toMatch(/^error: .*\(ERR_ARGUMENT\)\n$/);
    // A checkpoint at 40 the log key signed over a rewritten past: the proof cannot join them.
    const forkedRoot = rootHash([log.leaves[1]!, ...log.leaves.slice(1, 40)]);
    writeFileSync(
      at('forked-40'),
      signCheckpoint({ origin: ORIGIN, size: 40, rootHash: forkedRoot }, { name: ORIGIN, secretKey: log.secretKey }),
    );
    const forked = cli(['verify-proof', '--consistency', at('consistency.json'), '--old-checkpoint', at('forked-40'), ...keys]);
    expect(forked.status).toBe(1);
    expect(forked.stderr).toMatch(
      /^error: the tree of size 100 does not extend the tree of size 40: the log was rewritten \(ERR_AUDIT_TAMPERED\)\n$/,
    );
  });
});
