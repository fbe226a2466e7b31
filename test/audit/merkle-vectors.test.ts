/**
 * The Merkle tree against transparency-dev/merkle's published data: the 8-leaf reference
 * tree's roots at every size, and every inclusion and consistency probe (happy paths and
 * the mangled proofs that must fail). Our proof builder must also produce exactly the
 * proofs of the happy paths.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { rootHash } from '../../src/audit/compact-range.js';
import { EMPTY_ROOT, leafHash } from '../../src/audit/hash.js';
import { consistencyProof, inclusionProof } from '../../src/audit/proof-build.js';
import { verifyConsistencyProof, verifyInclusionProof } from '../../src/audit/proof-verify.js';

const dir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'vectors', 'merkle');
const b64 = (s: string | null | undefined): Uint8Array => Buffer.from(s ?? '', 'base64');
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

function jsonFiles(folder: string): string[] {
  return readdirSync(folder).flatMap((name) => {
    const full = path.join(folder, name);
    return statSync(full).isDirectory() ? jsonFiles(full) : name.endsWith('.json') ? [full] : [];
  });
}

const reference = JSON.parse(readFileSync(path.join(dir, 'reference-tree.json'), 'utf8')) as {
  leafInputsHex: string[];
  rootHashesHexBySize: string[];
};
const leaves = reference.leafInputsHex.map((h) => leafHash(Buffer.from(h, 'hex')));

describe('RFC 9162 tree: reference roots', () => {
  it('has the published root at every size 0..8', () => {
    expect(hex(EMPTY_ROOT)).toBe(reference.rootHashesHexBySize[0]);
    for (let size = 0; size <= 8; size++) {
      expect(hex(rootHash(leaves.slice(0, size))), `size ${size}`).toBe(reference.rootHashesHexBySize[size]);
    }
  });
});

describe('inclusion probes (transparency-dev/merkle testdata/inclusion)', () => {
  const files = jsonFiles(path.join(dir, 'inclusion'));
  it(`finds the probes`, () => expect(files.length).toBeGreaterThan(90));
  for (const file of files) {
    const probe = JSON.parse(readFileSync(file, 'utf8')) as {
      leafIdx: number;
      treeSize: number;
      root: string;
      leafHash: string;
      proof: string[] | null;
      desc: string;
      wantErr: boolean;
    };
    it(`${path.relative(dir, file)}: ${probe.wantErr ? 'fails' : 'verifies'}`, () => {
      const proof = (probe.proof ?? []).map(b64);
      expect(verifyInclusionProof(probe.leafIdx, probe.treeSize, b64(probe.leafHash), proof, b64(probe.root))).toBe(!probe.wantErr);
      // A happy path in the 8-leaf tree is the proof we build ourselves.
      if (!probe.wantErr && probe.treeSize <= 8 && hex(b64(probe.leafHash)) === hex(leaves[probe.leafIdx]!)) {
        expect(inclusionProof(leaves, probe.leafIdx, probe.treeSize).map(hex)).toEqual(proof.map(hex));
      }
    });
  }
});

describe('consistency probes (transparency-dev/merkle testdata/consistency)', () => {
  const files = jsonFiles(path.join(dir, 'consistency'));
  it(`finds the probes`, () => expect(files.length).toBeGreaterThan(90));
  for (const file of files) {
    const probe = JSON.parse(readFileSync(file, 'utf8')) as {
      size1: number;
      size2: number;
      root1: string;
      root2: string;
      proof: string[] | null;
      wantErr: boolean;
    };
    it(`${path.relative(dir, file)}: ${probe.wantErr ? 'fails' : 'verifies'}`, () => {
      const proof = (probe.proof ?? []).map(b64);
      expect(verifyConsistencyProof(probe.size1, probe.size2, b64(probe.root1), b64(probe.root2), proof)).toBe(!probe.wantErr);
      if (!probe.wantErr && probe.size2 <= 8 && hex(b64(probe.root2)) === reference.rootHashesHexBySize[probe.size2]) {
        expect(consistencyProof(leaves, probe.size1, probe.size2).map(hex)).toEqual(proof.map(hex));
      }
    });
  }
});
