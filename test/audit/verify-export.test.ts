/**
 * An exported log, and copies of it with one record edited, removed, moved or inserted:
 * verifyExport passes the untouched export and names the first bad record in each copy.
 * (The CLI runs the same cases in audit-cli.test.ts.)
 */
import { describe, expect, it } from 'vitest';
import { exportLine } from '../../src/audit/export-format.js';
import { leafHash } from '../../src/audit/hash.js';
import { verifyExport } from '../../src/audit/verify-export.js';
import { makeLog, makeRecord } from './log-fixture.js';
import { tamperings } from './tamperings.js';

const log = makeLog(100);

async function* asLines(lines: string[]): AsyncGenerator<string> {
  for (const line of lines) yield line;
}

const failure = async (lines: string[], checkpoint = log.checkpoint(), options = {}): Promise<string> => {
  try {
    await verifyExport(lines, checkpoint, log.vkey, options);
  } catch (err) {
    expect(err).toMatchObject({ code: 'ERR_AUDIT_TAMPERED' });
    return (err as Error).message;
  }
  throw new Error('the export verified');
};

describe('verifyExport', () => {
  it('verifies the untouched export, from an array and from an async line source', async () => {
    const result = await verifyExport(log.lines, log.checkpoint(), log.vkey);
    expect(result).toMatchObject({ size: 100, start: 0, beyond: 0 });
    expect((await verifyExport(asLines([...log.lines, '']), log.checkpoint(), log.vkey)).size).toBe(100);
  });

  for (const t of tamperings) {
    it(`names the first bad record when ${t.what}`, async () => {
      expect(await failure(t.apply(log.lines))).toMatch(t.expect);
    });
  }

  it('says when the export stops short of the checkpoint, and passes records after it', async () => {
    expect(await failure(log.lines.slice(0, 90))).toMatch(
      /stops short of the checkpoint: it ends before seq 90, the checkpoint covers 100/,
    );
    const older = await verifyExport(log.lines, log.checkpoint(60), log.vkey);
    expect(older).toMatchObject({ size: 60, beyond: 40 });
  });

  it('catches an edit whose leaf hash was rewritten too, and places it between earlier checkpoints', async () => {
    const lines = [...log.lines];
    const forged = { ...log.records[36]!, outcome: 'ok' };
    lines[36] = exportLine(forged);
    expect(await failure(lines)).toMatch(/a record in seq 0\.\.99 was edited, its leaf hash rewritten/);
    const earlier = [log.checkpoint(20), log.checkpoint(30), log.checkpoint(40), log.checkpoint(50)];
    expect(await failure(lines, log.checkpoint(), { checkpoints: earlier })).toMatch(/a record in seq 30\.\.39 was edited/);
    const every = Array.from({ length: 99 }, (_, i) => log.checkpoint(i + 1));
    expect(await failure(lines, log.checkpoint(), { checkpoints: every })).toMatch(/record seq 36 was edited/);
  });

  it('catches a forged record inserted with the later seqs renumbered', async () => {
    const forged = exportLine({ ...makeRecord(50), action: 'key.release', outcome: 'ok' });
    const renumbered = log.records.slice(50).map((r) => ({ ...r, seq: r.seq + 1 }));
    // The forged line is self-consistent, so the first line that betrays it is the next one:
    // the renumbered record whose leaf hash was left as it was.
    const naive = [
      ...log.lines.slice(0, 50),
      forged,
      ...log.lines.slice(50).map((line, i) => line.replace(`"seq":${50 + i},`, `"seq":${51 + i},`)),
    ];
    expect(await failure(naive)).toMatch(/line 52: record seq 51 was edited/);
    // Every leaf hash recomputed: only the root can tell, and it does.
    const careful = [...log.lines.slice(0, 50), forged, ...renumbered.map(exportLine)].slice(0, 100);
    expect(await failure(careful)).toMatch(/a record in seq 0\.\.99 was edited, its leaf hash rewritten to match/);
  });

  it('refuses a checkpoint that is not signed by the log key, and one that is malformed', async () => {
    const other = makeLog(100);
    await expect(verifyExport(log.lines, other.checkpoint(), log.vkey)).rejects.toMatchObject({ code: 'ERR_AUDIT_TAMPERED' });
    await expect(verifyExport(log.lines, 'not a note', log.vkey)).rejects.toMatchObject({ code: 'ERR_ARGUMENT' });
  });

  it('refuses lines that are not export lines', async () => {
    const record = makeRecord(5);
    const loose = JSON.stringify({ leafHash: Buffer.from(leafHash('x')).toString('base64'), record });
    for (const bad of [JSON.stringify(record), loose.replace('"record":', '"record" :'), '']) {
      const lines = [...log.lines];
      lines[5] = bad;
      expect(await failure(lines)).toMatch(/line 6/);
    }
  });
});
