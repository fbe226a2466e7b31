/** The JSON proof wrappers: they verify real proofs and say why they refuse the others. */
import { describe, expect, it } from 'vitest';
import { openCheckpoint } from '../../src/audit/checkpoint.js';
import { rootHash } from '../../src/audit/compact-range.js';
import { consistencyProof, inclusionProof } from '../../src/audit/proof-build.js';
import { consistencyProofJson, inclusionProofJson, verifyConsistency, verifyInclusion } from '../../src/audit/proof-json.js';
import { makeLog } from './log-fixture.js';

const log = makeLog(21);
const at21 = openCheckpoint(log.checkpoint(21), log.vkey);
const at13 = openCheckpoint(log.checkpoint(13), log.vkey);
const tampered = expect.objectContaining({ code: 'ERR_AUDIT_TAMPERED' });
const malformed = expect.objectContaining({ code: 'ERR_ARGUMENT' });

describe('verifyInclusion / verifyConsistency', () => {
  it('accept proofs the builder made, after a JSON round trip', () => {
    const inclusion = JSON.parse(JSON.stringify(inclusionProofJson(7, 21, inclusionProof(log.leaves, 7, 21)))) as unknown;
    expect(() => verifyInclusion(inclusion, log.leaves[7]!, at21)).not.toThrow();
    const consistency = JSON.parse(JSON.stringify(consistencyProofJson(13, 21, consistencyProof(log.leaves, 13, 21)))) as unknown;
    expect(() => verifyConsistency(consistency, at13, at21)).not.toThrow();
  });

  it('refuse a proof that does not hold as tampered', () => {
    const inclusion = inclusionProofJson(7, 21, inclusionProof(log.leaves, 7, 21));
    expect(() => verifyInclusion(inclusion, log.leaves[8]!, at21)).toThrow(tampered);
    // The log at size 13 as it would be had record 4 been rewritten later.
    const rewritten = { ...at13, rootHash: rootHash([...log.leaves.slice(0, 4), log.leaves[5]!, ...log.leaves.slice(5, 13)]) };
    const consistency = consistencyProofJson(13, 21, consistencyProof(log.leaves, 13, 21));
    expect(() => verifyConsistency(consistency, rewritten, at21)).toThrow(tampered);
  });

  it('refuse malformed proofs and proofs for another tree size as ERR_ARGUMENT', () => {
    const good = inclusionProofJson(7, 21, inclusionProof(log.leaves, 7, 21));
    for (const bad of [
      null,
      {},
      { ...good, treeSize: 20 },
      { ...good, leafIndex: -1 },
      { ...good, hashes: ['AAAA'] },
      { ...good, hashes: 'x' },
    ]) {
      expect(() => verifyInclusion(bad, log.leaves[7]!, at21), JSON.stringify(bad)).toThrow(malformed);
    }
    const consistency = consistencyProofJson(13, 21, consistencyProof(log.leaves, 13, 21));
    expect(() => verifyConsistency(consistency, at21, at13)).toThrow(malformed);
  });
});
