/**
 * Audit log speed:
 *   node --import tsx bench/audit.ts [--records 1000000] [--checkpoint-every 1000] [--dir /tmp]
 *
 * Append: build --records records as the broker would (canonical JSON, leaf hash, export
 * line, incremental root) and sign a checkpoint every --checkpoint-every records; reports
 * records/s with and without the checkpoints. Verify: write the export to a file in --dir
 * and check it against the final checkpoint the way `sectorcrypt audit verify` does (a
 * line reader over the file into verifyExport); reports seconds and records/s. One run
 * each; wall-clock time, so on a shared machine the figures move with the load.
 */
import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, rmSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { once } from 'node:events';
import { signCheckpoint } from '../src/audit/checkpoint.js';
import { CompactRange } from '../src/audit/compact-range.js';
import { encodeRecord } from '../src/audit/export-format.js';
import type { AuditRecord } from '../src/audit/record.js';
import { publicKeyOf, verifierKey } from '../src/audit/signed-note.js';
import { verifyExport } from '../src/audit/verify-export.js';
import { arg } from './options.js';

const count = Number(arg('records', '1000000'));
const every = Number(arg('checkpoint-every', '1000'));
const dir = await mkdtemp(join(arg('dir', '/tmp'), 'sectorcrypt-audit-bench-'));
const origin = 'bench.example/audit/tenant';
const secretKey = new Uint8Array(randomBytes(32));
const key = { name: origin, secretKey };

function record(seq: number): AuditRecord {
  return {
    seq,
    time: new Date(Date.UTC(2026, 0, 1) + seq * 1000).toISOString(),
    actor: `device-${seq % 977}`,
    action: seq % 5 === 0 ? 'key.deny' : 'key.release',
    target: `key-${seq % 101}`,
    outcome: seq % 5 === 0 ? 'denied' : 'ok',
    reasons: seq % 5 === 0 ? ['pcr 7 does not match the policy'] : [],
    requestId: `0190c6e2-7a3b-7cc4-9d1e-${String(seq).padStart(12, '0')}`,
    sourceIp: '198.51.100.23',
  };
}

/** Appends `n` records; returns seconds. With `file`, also writes the export. */
async function append(n: number, checkpoints: boolean, file?: string): Promise<{ seconds: number; checkpoint: string }> {
  const out = file ? createWriteStream(file) : undefined;
  const range = new CompactRange();
  let checkpoint = '';
  const started = process.hrtime.bigint();
  for (let seq = 0; seq < n; seq++) {
    const { line, leafHash } = encodeRecord(record(seq));
    range.append(leafHash);
    if (checkpoints && range.size % every === 0) checkpoint = signCheckpoint({ origin, size: range.size, rootHash: range.root() }, key);
    if (out && !out.write(`${line}\n`)) await once(out, 'drain');
  }
  checkpoint = signCheckpoint({ origin, size: range.size, rootHash: range.root() }, key);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (out) {
    out.end();
    await once(out, 'finish');
  }
  return { seconds, checkpoint };
}

try {
  const sample = Math.min(count, 200_000);
  const plain = await append(sample, false);
  const signed = await append(sample, true);
  console.log(
    `append: ${Math.round(sample / plain.seconds)} records/s; with a signed checkpoint every ${every}: ${Math.round(sample / signed.seconds)} records/s (${sample} records)`,
  );

  const file = join(dir, 'export.jsonl');
  const { checkpoint } = await append(count, false, file);
  const started = process.hrtime.bigint();
  const lines = createInterface({ input: createReadStream(file, 'utf8'), crlfDelay: Infinity });
  const result = await verifyExport(lines, checkpoint, verifierKey(origin, publicKeyOf(secretKey)));
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  console.log(
    `verify: ${result.size} records in ${seconds.toFixed(2)} s (${Math.round(result.size / seconds)} records/s), export file read line by line`,
  );
} finally {
  secretKey.fill(0);
  rmSync(dir, { recursive: true, force: true });
}
