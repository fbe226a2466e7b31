/**
 * Retention: archiving the first records leaves a segment that verifies on its own with its
 * checkpoint, and a rest that verifies against the log's checkpoint without them; proofs
 * and consistency, built from the leaf hashes the broker keeps, still verify afterwards.
 */
import { describe, expect, it } from 'vitest';
import { splitExport } from '../../src/audit/archive.js';
import { openCheckpoint } from '../../src/audit/checkpoint.js';
import { consistencyProof, inclusionProof } from '../../src/audit/proof-build.js';
import { consistencyProofJson, inclusionProofJson, verifyConsistency, verifyInclusion } from '../../src/audit/proof-json.js';
import { verifyExport } from '../../src/audit/verify-export.js';
import { makeLog, ORIGIN } from './log-fixture.js';

const log = makeLog(100);
const key = { name: ORIGIN, secretKey: log.secretKey };

describe('splitExport (archive segments)', () => {
  it('cuts a segment that verifies alone and a rest that verifies against the current checkpoint', async () => {
    const first = splitExport(log.lines, 30, ORIGIN, key);
    expect(first.segment).toEqual(log.lines.slice(0, 30));
    expect(await verifyExport(first.segment, first.segmentCheckpoint, log.vkey)).toMatchObject({ size: 30, start: 0 });
    // The segment's checkpoint is the log's own tree head at size 30.
    expect(first.segmentCheckpoint).toBe(log.checkpoint(30));
    expect(await verifyExport(first.rest, log.checkpoint(), log.vkey)).toMatchObject({ size: 100, start: 30 });

    // A second cut of what is left: this segment starts at 30 and carries its frontier.
    const second = splitExport(first.rest, 75, ORIGIN, key);
    expect(await verifyExport(second.segment, second.segmentCheckpoint, log.vkey)).toMatchObject({ size: 75, start: 30 });
    expect(await verifyExport(second.rest, log.checkpoint(), log.vkey)).toMatchObject({ size: 100, start: 75 });
  });

  it('still names tampering inside a segment and in the rest', async () => {
    const { segment, segmentCheckpoint, rest } = splitExport(log.lines, 40, ORIGIN, key);
    const badSegment = segment.filter((_, i) => i !== 12);
    await expect(verifyExport(badSegment, segmentCheckpoint, log.vkey)).rejects.toThrow(/record seq 12 was removed/);
    const badRest = [...rest];
    badRest[1] = badRest[1]!.replace('"outcome":"denied"', '"outcome":"ok"');
    await expect(verifyExport(badRest, log.checkpoint(), log.vkey)).rejects.toThrow(/line 2: record seq 40 was edited/);
    // A forged frontier makes the rest disagree with the checkpoint.
    const forged = [rest[0]!.replace(/"frontier":\["./, '"frontier":["A'), ...rest.slice(1)];
    if (forged[0] === rest[0]) forged[0] = rest[0]!.replace(/"frontier":\["./, '"frontier":["B');
    await expect(verifyExport(forged, log.checkpoint(), log.vkey)).rejects.toMatchObject({ code: 'ERR_AUDIT_TAMPERED' });
  });

  it('keeps proofs and consistency valid: they need only the leaf hashes the broker keeps', () => {
    const { segmentCheckpoint } = splitExport(log.lines, 30, ORIGIN, key);
    // After archiving, the broker holds no record before seq 30, but every leaf hash.
    const kept = log.leaves;
    const now = openCheckpoint(log.checkpoint(), log.vkey);
    const atCut = openCheckpoint(segmentCheckpoint, log.vkey);
    verifyConsistency(consistencyProofJson(30, 100, consistencyProof(kept, 30, 100)), atCut, now);
    for (const index of [0, 29, 30, 99]) {
      verifyInclusion(inclusionProofJson(index, 100, inclusionProof(kept, index, 100)), log.leaves[index]!, now);
    }
    expect(() => verifyInclusion(inclusionProofJson(5, 100, inclusionProof(kept, 5, 100)), log.leaves[6]!, now)).toThrow(
      expect.objectContaining({ code: 'ERR_AUDIT_TAMPERED' }),
    );
  });

  it('refuses a cut outside the export and an export that does not hold', () => {
    expect(() => splitExport(log.lines, 0, ORIGIN, key)).toThrow(expect.objectContaining({ code: 'ERR_ARGUMENT' }));
    expect(() => splitExport(log.lines, 100, ORIGIN, key)).toThrow(expect.objectContaining({ code: 'ERR_ARGUMENT' }));
    const swapped = [log.lines[1]!, log.lines[0]!, ...log.lines.slice(2)];
    expect(() => splitExport(swapped, 10, ORIGIN, key)).toThrow(expect.objectContaining({ code: 'ERR_AUDIT_TAMPERED' }));
  });
});
