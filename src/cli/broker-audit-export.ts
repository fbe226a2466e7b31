/**
 * `sectorcrypt broker audit export` (auditor). Without --out: one page of records, as the API
 * gives it. With --out DIR: the whole log (or from --since SEQ on) as the three files
 * `sectorcrypt audit verify` takes (docs/audit.md "How to verify"):
 *
 *   DIR/checkpoint.txt   the signed checkpoint, fetched first
 *   DIR/export.jsonl     every export line up to the checkpoint's size (GET /v1/audit, pages of 1000)
 *   DIR/log.pub          the tenant's note verifier key
 *
 * The lines are verified against the checkpoint as they stream to a temporary file; the three
 * files replace their targets only once the export verifies (output.ts: atomic, existing files
 * refused without --force).
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Command } from 'commander';
import { verifyExport } from '../audit/index.js';
import { SectorCryptError } from '../errors.js';
import { call, connected, print, type Conn } from './broker-client.js';
import { auditRecordsView, type View } from './broker-views.js';
import { checkOutputTarget, openOutputFile, type OutputFile } from './output.js';
import { createProgress } from './progress.js';
import { integer } from './args.js';

const PAGE = 1000;

export interface ExportResult {
  /** First seq exported (0, or --since, or the first record the broker still holds). */
  start: number;
  /** The checkpoint's tree size: the export holds seq start..size-1. */
  size: number;
  records: number;
  files: string[];
}

interface Page {
  records: { seq: number }[];
  lines: string[];
}

/** The export lines from `since` up to (not including) `size`, page by page. */
async function* exportLines(
  conn: Conn,
  since: number | undefined,
  size: number,
  pageSize: number,
  onPage: (lastSeq: number) => void,
): AsyncGenerator<string> {
  let query = since === undefined ? '' : `&since=${since}`;
  for (;;) {
    const page = (await call(conn, 'GET', `/v1/audit?limit=${pageSize}${query}`)) as Page;
    const last = page.records.at(-1)?.seq;
    // lines[] is records[] in export form, after the header line when there is one.
    const header = page.lines.length - page.records.length;
    for (let i = 0; i < page.lines.length; i++) {
      // Records past the checkpoint are left for the next export.
      if (i >= header && page.records[i - header]!.seq >= size) return;
      yield page.lines[i]!;
    }
    if (last === undefined || page.records.length < pageSize || last >= size - 1) return;
    onPage(last);
    query = `&after=${last}`;
  }
}

export async function exportAuditTo(
  conn: Conn,
  out: string,
  opts: { since?: number; force?: boolean; pageSize?: number } = {},
): Promise<ExportResult> {
  const names = { export: join(out, 'export.jsonl'), checkpoint: join(out, 'checkpoint.txt'), key: join(out, 'log.pub') };
  // Every refusal before the first request.
  for (const file of Object.values(names)) await checkOutputTarget(file, { force: opts.force });
  // The checkpoint first: records appended meanwhile come after its size.
  const cp = (await call(conn, 'GET', '/v1/audit/checkpoint')) as { checkpoint: string; verifierKey: string; size: number };
  if (opts.since !== undefined && opts.since >= cp.size) {
    throw new SectorCryptError('ERR_ARGUMENT', `the log holds ${cp.size} records; --since ${opts.since} exports none`);
  }
  await mkdir(out, { recursive: true, mode: 0o700 });
  const outputs: OutputFile[] = [];
  const progress = createProgress('{bar} {percentage}% | {value}/{total} records | ETA {eta_formatted}');
  try {
    for (const file of [names.export, names.checkpoint, names.key])
      outputs.push(await openOutputFile(file, { force: opts.force, mode: 0o644 }));
    const [lines, checkpoint, key] = outputs as [OutputFile, OutputFile, OutputFile];
    const first = opts.since ?? 0;
    let written = 0;
    async function* tee(): AsyncGenerator<string> {
      for await (const line of exportLines(conn, opts.since, cp.size, opts.pageSize ?? PAGE, (last) =>
        progress.update(last + 1 - first, cp.size - first),
      )) {
        if (!lines.stream.write(`${line}\n`)) await new Promise((resolve) => lines.stream.once('drain', resolve));
        written++;
        yield line;
      }
    }
    const verified = await verifyExport(tee(), cp.checkpoint, cp.verifierKey);
    lines.stream.end();
    checkpoint.stream.end(cp.checkpoint);
    key.stream.end(`${cp.verifierKey}\n`);
    for (const o of outputs) await o.commit();
    progress.stop();
    const records = written - (verified.start > 0 ? 1 : 0);
    return { start: verified.start, size: verified.size, records, files: [names.export, names.checkpoint, names.key] };
  } catch (err) {
    progress.stop();
    for (const o of outputs) await o.discard();
    throw err;
  }
}

const exportedView: View<ExportResult> = (r) =>
  `exported ${r.records} records, seq ${r.start}..${r.size - 1}, verified against the checkpoint at size ${r.size}\n${r.files.map((f) => `  ${f}\n`).join('')}` +
  `check it offline: sectorcrypt audit verify ${r.files[0]} --checkpoint ${r.files[1]} --public-key ${r.files[2]}\n`;

/** A seq: a whole number, nine digits at most. */
const seq = (flag: string) => integer(flag, { max: 999_999_999, what: 'a seq' });

export function registerAuditExport(audit: Command): void {
  connected(
    audit.command('export').description('records after a seq (one page); with --out DIR, the whole log as files `audit verify` checks'),
  )
    .option('--after <seq>', 'records after this seq', seq('--after'))
    .option('--limit <n>', 'at most this many (1000)', integer('--limit', { min: 1 }))
    .option('--out <dir>', 'write export.jsonl, checkpoint.txt and log.pub into this folder (every page, verified)')
    .option('--since <seq>', 'with --out: export from this seq on (default: the first record held)', seq('--since'))
    .option('--force', 'with --out: replace files that exist')
    .action(async (flags: Conn & { after?: number; limit?: number; out?: string; since?: number; force?: boolean }) => {
      if (flags.out === undefined) {
        if (flags.since !== undefined || flags.force) throw new SectorCryptError('ERR_ARGUMENT', '--since and --force go with --out');
        const answer = await call(
          flags,
          'GET',
          `/v1/audit?limit=${flags.limit ?? PAGE}${flags.after === undefined ? '' : `&after=${flags.after}`}`,
        );
        print(flags, answer as Parameters<typeof auditRecordsView>[0], auditRecordsView);
        return;
      }
      if (flags.after !== undefined || flags.limit !== undefined)
        throw new SectorCryptError('ERR_ARGUMENT', '--out exports every page: use --since, not --after or --limit');
      print(flags, await exportAuditTo(flags, flags.out, { since: flags.since, force: flags.force }), exportedView);
    });
}
