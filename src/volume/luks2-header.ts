/**
 * LUKS2 binary headers: two copies (primary at 0, secondary at hdr_size), each a 4096-byte
 * binary header followed by the JSON area, with a SHA-256 checksum over both.
 */
import { createHash, randomBytes } from 'node:crypto';
import { SectorCryptError } from '../errors.js';
import { equalConstantTime } from '../bytes.js';

export const BINARY_HEADER_SIZE = 4096;
const MAGIC_PRIMARY = Uint8Array.from([0x4c, 0x55, 0x4b, 0x53, 0xba, 0xbe]); // "LUKS\xba\xbe"
const MAGIC_SECONDARY = Uint8Array.from([0x53, 0x4b, 0x55, 0x4c, 0xba, 0xbe]); // "SKUL\xba\xbe"
/** hdr_size may be 16 KiB to 4 MiB, a power of two; the secondary copy sits at one of these offsets. */
export const HEADER_SIZES = [16, 32, 64, 128, 256, 512, 1024, 2048, 4096].map((k) => k * 1024);

/**
 * The binary header's fields: offset and size in bytes, integers big-endian, text fields
 * NUL-terminated. LUKS2 On-Disk Format Specification (version 1.1), section 2.1 "Binary
 * header" (struct luks2_hdr_disk); the rest of the 4096 bytes is padding.
 */
const FIELD = {
  magic: { at: 0, size: 6 },
  version: { at: 6, size: 2 },
  hdrSize: { at: 8, size: 8 },
  seqid: { at: 16, size: 8 },
  label: { at: 24, size: 48 },
  checksumAlg: { at: 72, size: 32 },
  salt: { at: 104, size: 64 },
  uuid: { at: 168, size: 40 },
  subsystem: { at: 208, size: 48 },
  hdrOffset: { at: 256, size: 8 },
  checksum: { at: 448, size: 64 },
} as const;
type Field = (typeof FIELD)[keyof typeof FIELD];

const field = (bytes: Uint8Array, f: Field): Uint8Array => bytes.subarray(f.at, f.at + f.size);

/** Why a header copy could not be used. Callers branch on `kind`, never on `reason`. */
export type CopyProblem =
  | { kind: 'absent'; reason: string } // no magic where the copy should start
  | { kind: 'short'; reason: string } // the image ends before the copy does
  | { kind: 'damaged'; reason: string }; // magic found, but the copy does not check out

const absent: CopyProblem = { kind: 'absent', reason: 'no LUKS magic' };
const damaged = (reason: string): CopyProblem => ({ kind: 'damaged', reason });
const isProblem = (x: HeaderCopy | CopyProblem | number): x is CopyProblem => typeof x === 'object' && 'kind' in x;

export interface HeaderCopy {
  seqid: bigint;
  hdrSize: number;
  label: string;
  subsystem: string;
  uuid: string;
  /** The parsed JSON metadata, kept whole so fields we do not use survive a rewrite. */
  meta: Record<string, unknown>;
}

/** Something to read headers from: an image file or a backup held in memory. */
export interface ByteSource {
  readonly size: number;
  read(position: number, length: number): Promise<Uint8Array>;
}

function text(bytes: Uint8Array): string {
  const end = bytes.indexOf(0);
  return Buffer.from(bytes.subarray(0, end < 0 ? bytes.length : end)).toString('utf8');
}

/** Writes a text field; it must leave room for its terminating NUL. */
function putText(dst: Uint8Array, f: Field, value: string): void {
  const b = Buffer.from(value, 'utf8');
  if (b.length >= f.size) throw new SectorCryptError('ERR_ARGUMENT', `header text field is longer than ${f.size - 1} bytes`);
  dst.set(b, f.at);
}

/** SHA-256 over the whole copy (binary header and JSON area) with the checksum field zeroed. */
function checksum(copy: Uint8Array): Uint8Array {
  const saved = field(copy, FIELD.checksum).slice();
  field(copy, FIELD.checksum).fill(0);
  const sum = createHash('sha256').update(copy).digest();
  copy.set(saved, FIELD.checksum.at);
  return sum;
}

function startsWith(buf: Uint8Array, magic: Uint8Array): boolean {
  return equalConstantTime(buf.subarray(0, magic.length), magic);
}

/** What the first bytes of a copy say: its header size, or why there is no usable header. */
function peek(binary: Uint8Array, secondary: boolean): number | CopyProblem {
  if (!startsWith(binary, secondary ? MAGIC_SECONDARY : MAGIC_PRIMARY)) return absent;
  const view = new DataView(binary.buffer, binary.byteOffset, binary.byteLength);
  const version = view.getUint16(FIELD.version.at, false);
  if (version === 1)
    throw new SectorCryptError('ERR_UNSUPPORTED', 'LUKS1 volumes are not supported (convert with cryptsetup convert --type luks2)');
  if (version !== 2) throw new SectorCryptError('ERR_UNSUPPORTED', `LUKS version ${version} is not supported`);
  const hdrSize = Number(view.getBigUint64(FIELD.hdrSize.at, false));
  if (!HEADER_SIZES.includes(hdrSize)) return damaged(`invalid hdr_size ${hdrSize}`);
  return hdrSize;
}

/** Parses one whole copy, or says why it is damaged. */
function parseCopy(copy: Uint8Array, offset: number, secondary: boolean): HeaderCopy | CopyProblem {
  const size = peek(copy, secondary);
  if (isProblem(size)) return size;
  if (copy.length !== size) return damaged('header size changed');
  const view = new DataView(copy.buffer, copy.byteOffset, copy.byteLength);
  const alg = text(field(copy, FIELD.checksumAlg));
  if (alg !== 'sha256') return damaged(`checksum algorithm "${alg}" is not supported`);
  if (Number(view.getBigUint64(FIELD.hdrOffset.at, false)) !== offset)
    return damaged('hdr_offset does not match where the header was found');
  // SHA-256 fills the first 32 bytes of the 64-byte checksum field.
  if (!equalConstantTime(checksum(copy).subarray(0, 32), field(copy, FIELD.checksum).subarray(0, 32))) return damaged('checksum mismatch');
  let meta: unknown;
  try {
    meta = JSON.parse(text(copy.subarray(BINARY_HEADER_SIZE)));
  } catch {
    return damaged('JSON area does not parse');
  }
  if (typeof meta !== 'object' || meta === null || Array.isArray(meta)) return damaged('JSON area is not an object');
  return {
    seqid: view.getBigUint64(FIELD.seqid.at, false),
    hdrSize: size,
    label: text(field(copy, FIELD.label)),
    uuid: text(field(copy, FIELD.uuid)),
    subsystem: text(field(copy, FIELD.subsystem)),
    meta: meta as Record<string, unknown>,
  };
}

async function readCopy(src: ByteSource, offset: number, secondary: boolean): Promise<HeaderCopy | CopyProblem> {
  if (offset + BINARY_HEADER_SIZE > src.size) return { kind: 'short', reason: 'image too short' };
  const size = peek(await src.read(offset, BINARY_HEADER_SIZE), secondary);
  if (isProblem(size)) return size;
  if (offset + size > src.size) return { kind: 'short', reason: 'image too short for the header' };
  return parseCopy(await src.read(offset, size), offset, secondary);
}

/**
 * True when `src` carries LUKS magic: the primary header at 0 or a secondary copy at one of
 * its possible offsets (so an image whose primary copy is damaged still counts). Used to keep
 * plain-mode writes from landing on a LUKS volume's headers and key slots.
 */
export async function hasLuksMagic(src: ByteSource): Promise<boolean> {
  const at = (offset: number, magic: Uint8Array) =>
    src.size >= offset + magic.length ? src.read(offset, magic.length).then((b) => startsWith(b, magic)) : false;
  if (await at(0, MAGIC_PRIMARY)) return true;
  for (const offset of HEADER_SIZES) if (await at(offset, MAGIC_SECONDARY)) return true;
  return false;
}

export interface HeaderPair {
  /** The copy to use: the valid one, or the newer when both are valid. */
  current: HeaderCopy;
  /** Why a copy was not used, for `info` output. */
  problems: string[];
}

/** Reads both copies and picks the one to trust; two bad copies are ERR_CORRUPT_HEADER. */
export async function readHeaders(src: ByteSource): Promise<HeaderPair> {
  const primary = await readCopy(src, 0, false);
  let secondary: HeaderCopy | CopyProblem = absent;
  const offsets = isProblem(primary) ? HEADER_SIZES : [primary.hdrSize];
  for (const at of offsets) {
    const found = await readCopy(src, at, true);
    if (isProblem(found) && found.kind !== 'damaged') continue;
    secondary = found;
    break;
  }
  const problems: string[] = [];
  if (isProblem(primary)) problems.push(`primary header: ${primary.reason}`);
  if (isProblem(secondary)) problems.push(`secondary header: ${secondary.reason}`);
  if (isProblem(primary) && isProblem(secondary)) {
    const none = primary.kind === 'absent' && secondary.kind === 'absent';
    if (primary.kind === 'short' && !none) {
      throw new SectorCryptError('ERR_TRUNCATED', `image is truncated: ${src.size} bytes, too short for its LUKS2 header`);
    }
    throw new SectorCryptError(
      'ERR_CORRUPT_HEADER',
      none ? 'no LUKS2 header found' : `both LUKS2 header copies are damaged (${problems.join('; ')})`,
    );
  }
  if (isProblem(primary)) return { current: secondary as HeaderCopy, problems };
  if (isProblem(secondary)) return { current: primary, problems };
  if (secondary.seqid > primary.seqid) {
    problems.push('primary header: older than the secondary (an update was interrupted)');
    return { current: secondary, problems };
  }
  if (primary.seqid > secondary.seqid) problems.push('secondary header: older than the primary (an update was interrupted)');
  return { current: primary, problems };
}

/** One copy as bytes, checksum included. */
export function serializeCopy(h: HeaderCopy, secondary: boolean): Uint8Array {
  const copy = new Uint8Array(h.hdrSize);
  const view = new DataView(copy.buffer);
  const offset = secondary ? h.hdrSize : 0;
  copy.set(secondary ? MAGIC_SECONDARY : MAGIC_PRIMARY, FIELD.magic.at);
  view.setUint16(FIELD.version.at, 2, false);
  view.setBigUint64(FIELD.hdrSize.at, BigInt(h.hdrSize), false);
  view.setBigUint64(FIELD.seqid.at, h.seqid, false);
  putText(copy, FIELD.label, h.label);
  putText(copy, FIELD.checksumAlg, 'sha256');
  copy.set(randomBytes(FIELD.salt.size), FIELD.salt.at);
  putText(copy, FIELD.uuid, h.uuid);
  putText(copy, FIELD.subsystem, h.subsystem);
  view.setBigUint64(FIELD.hdrOffset.at, BigInt(offset), false);
  const json = Buffer.from(JSON.stringify(h.meta), 'utf8');
  if (json.length >= h.hdrSize - BINARY_HEADER_SIZE)
    throw new SectorCryptError('ERR_NO_KEYSLOT', 'LUKS2 metadata no longer fits the JSON area');
  copy.set(json, BINARY_HEADER_SIZE);
  copy.set(checksum(copy), FIELD.checksum.at);
  return copy;
}

/** Where to write: an image file. */
export interface HeaderSink {
  write(position: number, data: Uint8Array): Promise<void>;
  sync(): Promise<void>;
}

/**
 * Writes a new generation of the header: the secondary copy, synced, then the primary,
 * synced. A crash at any point leaves at least one valid copy (old or new).
 */
export async function writeHeaders(sink: HeaderSink, h: HeaderCopy): Promise<void> {
  h.seqid += 1n;
  await sink.write(h.hdrSize, serializeCopy(h, true));
  await sink.sync();
  await sink.write(0, serializeCopy(h, false));
  await sink.sync();
}
