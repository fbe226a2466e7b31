/**
 * `sectorcrypt broker audit archive [--before DATE] --out DIR` (auditor): moves the records
 * older than DATE (default: older than the broker's retention, 12 months unless `broker serve
 * --audit-retention-days` says otherwise) out of the broker into an archive segment
 * (docs/audit.md):
 *
 *   DIR/segment-<start>-<end>.jsonl   the export lines, seq start..end-1
 *   DIR/segment-<start>-<end>.checkpoint   the signed checkpoint at tree size end
 *   DIR/log.pub                       the tenant's note verifier key
 *
 * The segment is written and verified here (src/audit verifyExport) before the broker is
 * asked to delete anything; the broker keeps the tree, so proofs still verify afterwards.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Command } from 'commander';
import { verifyExport } from '../audit/index.js';
import { call, connected, print, type Conn } from './broker-client.js';
import { archiveView } from './broker-views.js';

interface Segment {
  start: number;
  end: number;
  /** The cutoff the broker used (the retention's when none was given). */
  before: string;
  retentionDays: number;
  lines: string[];
  checkpoint: string | null;
  verifierKey: string;
}

export interface ArchiveResult {
  start: number;
  end: number;
  before: string;
  archived: number;
  files: string[];
}

export async function archiveAudit(conn: Conn, before: string | undefined, out: string): Promise<ArchiveResult> {
  const seg = (await call(
    conn,
    'GET',
    `/v1/audit/segment${before === undefined ? '' : `?before=${encodeURIComponent(before)}`}`,
  )) as Segment;
  if (seg.end === seg.start || seg.checkpoint === null)
    return { start: seg.start, end: seg.end, before: seg.before, archived: 0, files: [] };
  await verifyExport(seg.lines, seg.checkpoint, seg.verifierKey);
  await mkdir(out, { recursive: true, mode: 0o700 });
  const base = join(out, `segment-${seg.start}-${seg.end}`);
  const files = [`${base}.jsonl`, `${base}.checkpoint`, join(out, 'log.pub')];
  await writeFile(files[0]!, seg.lines.map((l) => `${l}\n`).join(''), { flag: 'wx' });
  await writeFile(files[1]!, seg.checkpoint, { flag: 'wx' });
  await writeFile(files[2]!, `${seg.verifierKey}\n`);
  const done = (await call(conn, 'POST', '/v1/audit/archive', { through: seg.end })) as { archived: number };
  return { start: seg.start, end: seg.end, before: seg.before, archived: done.archived, files };
}

export function registerAuditArchive(audit: Command): void {
  connected(audit.command('archive').description('move records older than a date into an archive segment (kept verifiable)'))
    .option('--before <date>', "archive the records older than this date (ISO 8601; default: older than the broker's retention)")
    .requiredOption('--out <dir>', 'the folder for the segment, its checkpoint and log.pub')
    .action(async (flags: Conn & { before?: string; out: string }) => {
      print(flags, await archiveAudit(flags, flags.before, flags.out), archiveView);
    });
}
