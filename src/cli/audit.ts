/**
 * `sectorcrypt audit verify` and `sectorcrypt audit verify-proof`: offline checks of an
 * audit log export and of inclusion / consistency proofs against signed checkpoints
 * (docs/audit.md). Success prints one "verified: ..." line; failure prints one
 * "error: ... (CODE)" line and exits 1 (ERR_AUDIT_TAMPERED when the log does not hold).
 */
import { createReadStream } from 'node:fs';
import { access, readFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import type { Command } from 'commander';
import { SectorCryptError } from '../errors.js';
import { openCheckpoint } from '../audit/checkpoint.js';
import { recordLeafHash } from '../audit/record.js';
import { parseExportLine } from '../audit/export-format.js';
import { verifyConsistency, verifyInclusion } from '../audit/proof-json.js';
import { verifyExport } from '../audit/verify-export.js';
import { fromBase64, toBase64 } from '../audit/base64.js';

async function readText(file: string, what: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    const missing = (err as NodeJS.ErrnoException).code === 'ENOENT';
    throw new SectorCryptError(missing ? 'ERR_NOT_FOUND' : 'ERR_IO', `cannot read ${what} ${file}`, { cause: err });
  }
}

/** Fails early, with a file error, rather than inside the line reader. */
async function exists(file: string, what: string): Promise<void> {
  try {
    await access(file);
  } catch (err) {
    throw new SectorCryptError('ERR_NOT_FOUND', `cannot read ${what} ${file}`, { cause: err });
  }
}

async function readJson(file: string, what: string): Promise<unknown> {
  try {
    return JSON.parse(await readText(file, what)) as unknown;
  } catch (err) {
    if (err instanceof SectorCryptError) throw err;
    throw new SectorCryptError('ERR_ARGUMENT', `${what} ${file} is not JSON`);
  }
}

/** Runs a command body, turning any failure into one "error:" line and exit code 1. */
async function reporting(body: () => Promise<string>): Promise<void> {
  try {
    process.stdout.write(`${await body()}\n`);
  } catch (err) {
    const message = err instanceof SectorCryptError ? err.message : `${err instanceof Error ? err.message : String(err)} (ERR_IO)`;
    process.stderr.write(`error: ${message.replace(/\n/g, ' ')}\n`);
    process.exitCode = 1;
  }
}

/** The leaf hash of --record (one export line, or a bare record object) or of --leaf-hash. */
async function leafOf(flags: { record?: string; leafHash?: string }): Promise<Uint8Array> {
  if (flags.leafHash !== undefined) return fromBase64(flags.leafHash, '--leaf-hash');
  if (flags.record === undefined)
    throw new SectorCryptError('ERR_ARGUMENT', 'an inclusion proof needs --record FILE or --leaf-hash BASE64');
  const text = (await readText(flags.record, 'record')).trim();
  if (text.startsWith('{"leafHash":')) {
    const line = parseExportLine(text, 1);
    if (Buffer.compare(line.claimedHash, line.recordHash) !== 0) {
      throw new SectorCryptError('ERR_AUDIT_TAMPERED', 'the record no longer matches its leaf hash');
    }
    return line.recordHash;
  }
  return recordLeafHash(JSON.parse(text) as never);
}

export function registerAudit(program: Command): void {
  const audit = program.command('audit').description('verify audit log exports and proofs offline, against signed checkpoints');

  audit
    .command('verify')
    .description('check every record of an export (JSON lines) against a signed checkpoint')
    .argument('<export>', 'the export file, as GET /v1/audit or an archive segment writes it')
    .requiredOption('--checkpoint <file>', 'signed checkpoint (C2SP tlog-checkpoint note)')
    .requiredOption('--public-key <file>', "file holding the log's note verifier key: <name>+<hex id>+<base64 key>")
    .option('--earlier <file...>', 'earlier signed checkpoints of the same log: narrow down where a rewrite happened')
    .action(async (file: string, flags: { checkpoint: string; publicKey: string; earlier?: string[] }) => {
      await reporting(async () => {
        const note = await readText(flags.checkpoint, 'checkpoint');
        const vkey = (await readText(flags.publicKey, 'public key')).trim();
        const earlier = await Promise.all((flags.earlier ?? []).map((f) => readText(f, 'checkpoint')));
        await exists(file, 'export');
        const lines = createInterface({ input: createReadStream(file, 'utf8'), crlfDelay: Infinity });
        const result = await verifyExport(lines, note, vkey, { checkpoints: earlier });
        const beyond = result.beyond > 0 ? ` (${result.beyond} later records are not covered by this checkpoint)` : '';
        return `verified: ${result.size - result.start} records, seq ${result.start}..${result.size - 1}, root ${toBase64(result.rootHash)}${beyond}`;
      });
    });

  audit
    .command('verify-proof')
    .description('check an inclusion proof (--inclusion) or a consistency proof (--consistency) from JSON files')
    .requiredOption('--checkpoint <file>', 'signed checkpoint the proof leads to')
    .requiredOption('--public-key <file>', "file holding the log's note verifier key")
    .option('--inclusion <file>', 'inclusion proof {"leafIndex","treeSize","hashes"}')
    .option('--record <file>', 'with --inclusion: the record, as its export line or as record JSON')
    .option('--leaf-hash <base64>', 'with --inclusion: the leaf hash instead of --record')
    .option('--consistency <file>', 'consistency proof {"fromSize","toSize","hashes"}')
    .option('--old-checkpoint <file>', 'with --consistency: the earlier signed checkpoint')
    .action(
      async (flags: {
        checkpoint: string;
        publicKey: string;
        inclusion?: string;
        record?: string;
        leafHash?: string;
        consistency?: string;
        oldCheckpoint?: string;
      }) => {
        await reporting(async () => {
          if ((flags.inclusion === undefined) === (flags.consistency === undefined)) {
            throw new SectorCryptError('ERR_ARGUMENT', 'give exactly one of --inclusion and --consistency');
          }
          const vkey = (await readText(flags.publicKey, 'public key')).trim();
          const checkpoint = openCheckpoint(await readText(flags.checkpoint, 'checkpoint'), vkey);
          if (flags.inclusion !== undefined) {
            const proof = (await readJson(flags.inclusion, 'inclusion proof')) as { leafIndex: number };
            verifyInclusion(proof, await leafOf(flags), checkpoint);
            return `verified: record ${proof.leafIndex} is in the log at size ${checkpoint.size}, root ${toBase64(checkpoint.rootHash)}`;
          }
          if (flags.oldCheckpoint === undefined)
            throw new SectorCryptError('ERR_ARGUMENT', 'a consistency proof needs --old-checkpoint FILE');
          const older = openCheckpoint(await readText(flags.oldCheckpoint, 'checkpoint'), vkey);
          verifyConsistency(await readJson(flags.consistency!, 'consistency proof'), older, checkpoint);
          return `verified: the log at size ${checkpoint.size} extends the log at size ${older.size}, root ${toBase64(checkpoint.rootHash)}`;
        });
      },
    );
}
