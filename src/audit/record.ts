/**
 * Audit records and the bytes that are hashed for them. A record is a JSON object holding
 * only strings, safe integers, booleans, null, arrays and objects (no fractions: numbers
 * with a fraction are where JSON implementations disagree). `seq` is the record's leaf index
 * in the tenant's tree and starts at 0. The leaf hash is SHA-256(0x00 || UTF-8 canonical JSON).
 */
import { SectorCryptError } from '../errors.js';
import { canonicalJson } from './canonical-json.js';
import { leafHash } from './hash.js';

export type AuditValue = string | number | boolean | null | AuditValue[] | { [key: string]: AuditValue };

/** The fields docs/audit.md "The export" lists; the broker may add more (all must be AuditValues). */
export interface AuditRecord {
  seq: number;
  time?: string;
  actor?: string;
  action?: string;
  target?: string;
  outcome?: string;
  reasons?: string[];
  requestId?: string | null;
  sourceIp?: string | null;
  [field: string]: AuditValue | undefined;
}

/** Throws ERR_ARGUMENT unless `value` is an object of AuditValues with an integer seq >= 0. */
export function checkRecord(value: unknown): asserts value is AuditRecord {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new SectorCryptError('ERR_ARGUMENT', 'an audit record is a JSON object');
  }
  const seq = (value as { seq?: unknown }).seq;
  if (typeof seq !== 'number' || !Number.isSafeInteger(seq) || seq < 0) {
    throw new SectorCryptError('ERR_ARGUMENT', 'an audit record needs an integer seq >= 0');
  }
  checkValue(value, 'record');
}

function checkValue(value: unknown, where: string): void {
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) throw new SectorCryptError('ERR_ARGUMENT', `${where}: audit numbers are safe integers, got ${value}`);
  } else if (Array.isArray(value)) {
    value.forEach((item, i) => checkValue(item, `${where}[${i}]`));
  } else if (value !== null && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) checkValue(item, `${where}.${key}`);
  } else if (value !== null && typeof value !== 'string' && typeof value !== 'boolean') {
    throw new SectorCryptError('ERR_ARGUMENT', `${where}: ${typeof value} is not an audit value`);
  }
}

/** The canonical JSON the leaf hash is computed over. */
export function recordJson(record: AuditRecord): string {
  checkRecord(record);
  return canonicalJson(record);
}

/** SHA-256(0x00 || canonical JSON of the record): the record's leaf in the tree. */
export function recordLeafHash(record: AuditRecord): Uint8Array {
  return leafHash(recordJson(record));
}
