/**
 * Readers for the known-answer files in test/vectors (sources in test/vectors/README.md).
 * Each file is parsed once per test file and the result shared.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { fromHex, le128 } from './bytes.js';

export const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const vectorsDir = path.resolve(projectRoot, 'test/vectors');

/** One entry of a NIST CAVP .rsp file, with the bracketed section header it sits under. */
export interface RspEntry {
  section: Record<string, string>;
  fields: Record<string, string>;
  fail: boolean;
}

const FIELD = /^(\w+)\s*=\s*(.*)$/;

function parseRsp(text: string): RspEntry[] {
  const entries: RspEntry[] = [];
  let section: Record<string, string> = {};
  let inHeader = false;
  let entry: RspEntry | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    if (line.startsWith('[')) {
      // A header is one or more bracket lines ([ENCRYPT], or GCM's five [Name = value] lines).
      if (!inHeader) section = {};
      inHeader = true;
      const body = line.slice(1, -1);
      const m = FIELD.exec(body);
      if (m) section[m[1]] = m[2];
      else section.mode = body;
      continue;
    }
    inHeader = false;
    if (line === 'FAIL') {
      if (!entry) throw new Error('FAIL outside an entry');
      entry.fail = true;
      continue;
    }
    const m = FIELD.exec(line);
    if (!m) throw new Error(`unreadable line: ${line}`);
    if (m[1].toLowerCase() === 'count') {
      entry = { section, fields: {}, fail: false };
      entries.push(entry);
    }
    if (!entry) throw new Error(`field outside an entry: ${line}`);
    entry.fields[m[1]] = m[2];
  }
  return entries;
}

const rspCache = new Map<string, RspEntry[]>();

/** Entries of a .rsp file, by path relative to the vectors folder. */
export function readRsp(file: string): RspEntry[] {
  let entries = rspCache.get(file);
  if (!entries) {
    entries = parseRsp(readFileSync(path.join(vectorsDir, file), 'latin1'));
    rspCache.set(file, entries);
  }
  return entries;
}

export interface XtsVector {
  count: number;
  mode: 'ENCRYPT' | 'DECRYPT';
  key: Uint8Array;
  tweak: Uint8Array;
  /** Set in the tweak-dataunitseqno files: the tweak is this number, 16 bytes little-endian. */
  seq?: bigint;
  pt: Uint8Array;
  ct: Uint8Array;
}

/**
 * Whole-byte entries of a NIST XTSGen file. Entries whose DataUnitLen (bits) is not a
 * multiple of 8 are for bit-granular implementations (see the vectors README): left out.
 */
export function xtsNist(file: string): XtsVector[] {
  return readRsp(file)
    .filter((e) => Number(e.fields.DataUnitLen) % 8 === 0)
    .map((e) => {
      const f = e.fields;
      const seq = f.DataUnitSeqNumber === undefined ? undefined : BigInt(f.DataUnitSeqNumber);
      const vector: XtsVector = {
        count: Number(f.COUNT),
        mode: e.section.mode as 'ENCRYPT' | 'DECRYPT',
        key: fromHex(f.Key),
        tweak: seq === undefined ? fromHex(f.i) : le128(seq),
        seq,
        pt: fromHex(f.PT),
        ct: fromHex(f.CT),
      };
      if (vector.pt.length * 8 !== Number(f.DataUnitLen)) throw new Error(`COUNT ${f.COUNT}: PT length disagrees with DataUnitLen`);
      return vector;
    });
}

export interface Ieee1619Vector {
  id: number;
  key: Uint8Array;
  tweak: Uint8Array;
  pt: Uint8Array;
  ct: Uint8Array;
}

export function ieee1619(): Ieee1619Vector[] {
  const raw = JSON.parse(readFileSync(path.join(vectorsDir, 'xts-ieee1619/ieee1619.json'), 'utf8')) as Record<string, string | number>[];
  return raw.map((v) => ({
    id: Number(v.id),
    key: fromHex(String(v.key)),
    tweak: fromHex(String(v.tweak)),
    pt: fromHex(String(v.pt)),
    ct: fromHex(String(v.ct)),
  }));
}

export interface GcmVector {
  count: number;
  ivBits: number;
  tagBits: number;
  key: Uint8Array;
  iv: Uint8Array;
  aad: Uint8Array;
  ct: Uint8Array;
  tag: Uint8Array;
  /** Undefined for decrypt entries marked FAIL. */
  pt?: Uint8Array;
}

/** All entries of a NIST GCM file; callers pick the IVlen/Taglen they need. */
export function gcmNist(file: string): GcmVector[] {
  return readRsp(file).map((e) => {
    const f = e.fields;
    return {
      count: Number(f.Count),
      ivBits: Number(e.section.IVlen),
      tagBits: Number(e.section.Taglen),
      key: fromHex(f.Key),
      iv: fromHex(f.IV),
      aad: fromHex(f.AAD),
      ct: fromHex(f.CT),
      tag: fromHex(f.Tag),
      pt: e.fail ? undefined : fromHex(f.PT),
    };
  });
}
