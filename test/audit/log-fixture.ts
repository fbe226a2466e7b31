/** A small tenant audit log for tests: records, their export lines, a log key and a checkpoint. */
import { randomBytes } from 'node:crypto';
import { signCheckpoint } from '../../src/audit/checkpoint.js';
import { rootHash } from '../../src/audit/compact-range.js';
import { exportLine } from '../../src/audit/export-format.js';
import { recordLeafHash, type AuditRecord } from '../../src/audit/record.js';
import { publicKeyOf, verifierKey } from '../../src/audit/signed-note.js';

export const ORIGIN = 'broker.example/audit/tenant-a';
const ACTIONS = [
  'agent.enroll',
  'key.release',
  'key.deny',
  'request.pending',
  'request.approve',
  'policy.update',
  'key.rotate',
  'user.create',
];

export function makeRecord(seq: number): AuditRecord {
  return {
    seq,
    time: new Date(Date.UTC(2026, 0, 1) + seq * 60_000).toISOString(),
    actor: seq % 3 === 0 ? 'broker' : `device-${seq % 7}`,
    action: ACTIONS[seq % ACTIONS.length]!,
    target: `key-${seq % 5}`,
    outcome: seq % 4 === 0 ? 'denied' : 'ok',
    reasons: seq % 4 === 0 ? ['policy: pcr mismatch'] : [],
    requestId: `req-${seq}`,
    sourceIp: '192.0.2.10',
  };
}

export interface Log {
  records: AuditRecord[];
  lines: string[];
  leaves: Uint8Array[];
  secretKey: Uint8Array;
  vkey: string;
  /** Signed checkpoint at `size` (default: the whole log). */
  checkpoint(size?: number): string;
}

export function makeLog(count: number): Log {
  const records = Array.from({ length: count }, (_, seq) => makeRecord(seq));
  const leaves = records.map(recordLeafHash);
  const secretKey = new Uint8Array(randomBytes(32));
  return {
    records,
    lines: records.map(exportLine),
    leaves,
    secretKey,
    vkey: verifierKey(ORIGIN, publicKeyOf(secretKey)),
    checkpoint: (size = count) =>
      signCheckpoint({ origin: ORIGIN, size, rootHash: rootHash(leaves.slice(0, size)) }, { name: ORIGIN, secretKey }),
  };
}
