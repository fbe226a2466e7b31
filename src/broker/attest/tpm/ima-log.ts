/**
 * The Linux IMA binary measurement list (securityfs ima/binary_runtime_measurements), in
 * the kernel's byte order (little-endian here): per entry the PCR, the SHA-1 template
 * digest, the template name and the template data. Templates ima-ng (d-ng|n-ng) and ima-sig
 * (d-ng|n-ng|sig) are read: every field is a UINT32 length then its bytes; d-ng is
 * "<algo>:\0" then the file digest, n-ng the path with its NUL.
 *
 * In a non-SHA-1 bank IMA extends the hash of the template data in that bank's algorithm
 * (for these templates, the length-prefixed fields exactly as logged); a violation (SHA-1
 * template digest all zero) extends all ones.
 */
import { createHash } from 'node:crypto';
import { ByteReader, tpmFormatError, toHex } from './reader.js';

const WHAT = 'IMA log';

export interface ImaEntry {
  pcr: number;
  template: string;
  templateData: Uint8Array;
  violation: boolean;
  /** "sha256:<hex>" of the file, and its path (ima-ng / ima-sig). */
  fileHash: string;
  path: string;
}

export const MAX_IMA_ENTRIES = 1_000_000;

function readFields(data: Uint8Array, n: number): Uint8Array[] {
  const r = new ByteReader(data, `${WHAT} template data`, true);
  const out: Uint8Array[] = [];
  while (r.remaining > 0) out.push(r.bytesOf(r.u32('field length'), 'field'));
  if (out.length < n) throw tpmFormatError(WHAT, `template data holds ${out.length} fields, not ${n}`);
  return out;
}

export function parseImaLog(bytes: Uint8Array): ImaEntry[] {
  const r = new ByteReader(bytes, WHAT, true);
  const entries: ImaEntry[] = [];
  while (r.remaining > 0) {
    if (entries.length >= MAX_IMA_ENTRIES) throw tpmFormatError(WHAT, `more than ${MAX_IMA_ENTRIES} entries`);
    const at = entries.length + 1;
    const pcr = r.u32('pcr');
    if (pcr > 23) throw tpmFormatError(WHAT, `entry ${at}: PCR ${pcr} does not exist`);
    const sha1 = r.bytesOf(20, 'template digest');
    const nameLen = r.u32('template name length');
    if (nameLen > 255) throw tpmFormatError(WHAT, `entry ${at}: template name of ${nameLen} bytes`);
    const template = Buffer.from(r.bytesOf(nameLen, 'template name')).toString('latin1');
    const templateData = r.bytesOf(r.u32('template data length'), 'template data');
    if (template !== 'ima-ng' && template !== 'ima-sig')
      throw tpmFormatError(WHAT, `entry ${at}: template "${template.slice(0, 32)}" is not ima-ng or ima-sig`);
    const [dng, nng] = readFields(templateData, 2);
    const colon = dng!.indexOf(0x3a);
    if (colon < 1 || dng![colon + 1] !== 0) throw tpmFormatError(WHAT, `entry ${at}: d-ng field is not "<algo>:\\0<digest>"`);
    const algo = Buffer.from(dng!.subarray(0, colon)).toString('latin1');
    const path = Buffer.from(nng!).toString('utf8').replace(/\0$/, '');
    entries.push({
      pcr,
      template,
      templateData,
      violation: sha1.every((b) => b === 0),
      fileHash: `${algo}:${toHex(dng!.subarray(colon + 2))}`,
      path,
    });
  }
  return entries;
}

export type ImaReplay = { ok: true; entries: number; files: Record<string, string[]> } | { ok: false; reason: string };

/**
 * Replay the sha256 bank of `pcr` and find the prefix of the log that reaches `quoted`: the
 * list grows after the quote, so the entries after that point are not covered by it.
 * Files come only from the covered entries.
 */
export function replayImaLog(entries: readonly ImaEntry[], quoted: Uint8Array, pcr = 10): ImaReplay {
  let value: Uint8Array = new Uint8Array(32);
  let covered = Buffer.from(value).equals(Buffer.from(quoted)) ? 0 : -1;
  const mine = entries.filter((e) => e.pcr === pcr);
  for (const [i, e] of mine.entries()) {
    const extend = e.violation ? new Uint8Array(32).fill(0xff) : createHash('sha256').update(e.templateData).digest();
    value = new Uint8Array(createHash('sha256').update(value).update(extend).digest());
    if (Buffer.from(value).equals(Buffer.from(quoted))) covered = i + 1;
  }
  if (covered < 0) return { ok: false, reason: `PCR ${pcr}: the IMA log does not replay to the quoted value` };
  const files: Record<string, string[]> = Object.create(null);
  for (const e of mine.slice(0, covered)) {
    if (e.violation) continue;
    const list = (files[e.path] ??= []);
    if (!list.includes(e.fileHash)) list.push(e.fileHash);
  }
  return { ok: true, entries: covered, files };
}
