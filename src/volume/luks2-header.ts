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
const CSUM_AT = 448;
const CSUM_LEN = 64;

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

function putText(dst: Uint8Array, at: number, size: number, value: string): void {
  const b = Buffer.from(value, 'utf8');
  if (b.length >= size) throw new SectorCryptError('ERR_ARGUMENT', `header text field is longer than ${size - 1} bytes`);
  dst.set(b, at);
}

function checksum(copy: Uint8Array): Uint8Array {
  const saved = copy.slice(CSUM_AT, CSUM_AT + CSUM_LEN);
  copy.fill(0, CSUM_AT, CSUM_AT + CSUM_LEN);
  const sum = createHash('sha256').update(copy).digest();
  copy.set(saved, CSUM_AT);
  return sum;
}

function startsWith(buf: Uint8Array, magic: Uint8Array): boolean {
  return equalConstantTime(buf.subarray(0, magic.length), magic);
}

/** What the first bytes at `offset` say: the header size, or why there is no usable header. */
function peek(binary: Uint8Array, secondary: boolean): number | string {
  if (!startsWith(binary, secondary ? MAGIC_SECONDARY : MAGIC_PRIMARY)) return 'no LUKS magic';
  const view = new DataView(binary.buffer, binary.byteOffset, binary.byteLength);
  const version = view.getUint16(6, false);
  if (version === 1) throw new SectorCryptError('ERR_UNSUPPORTED', 'LUKS1 volumes are not supported (convert with cryptsetup convert --type luks2)');
  if (version !== 2) throw new SectorCryptError('ERR_UNSUPPORTED', `LUKS version ${version} is not supported`);
  const hdrSize = Number(view.getBigUint64(8, false));
  if (!HEADER_SIZES.includes(hdrSize)) return `invalid hdr_size ${hdrSize}`;
  return hdrSize;
}

/** Parses one whole copy; returns a reason string when it is damaged. */
function parseCopy(copy: Uint8Array, offset: number, secondary: boolean): HeaderCopy | string {
  const size = peek(copy, secondary);
  if (typeof size === 'string') return size;
  if (copy.length !== size) return 'header size changed';
  const view = new DataView(copy.buffer, copy.byteOffset, copy.byteLength);
  if (text(copy.subarray(72, 104)) !== 'sha256') return `checksum algorithm "${text(copy.subarray(72, 104))}" is not supported`;
  if (Number(view.getBigUint64(256, false)) !== offset) return 'hdr_offset does not match where the header was found';
  if (!equalConstantTime(checksum(copy).subarray(0, 32), copy.subarray(CSUM_AT, CSUM_AT + 32))) return 'checksum mismatch';
  let meta: unknown;
  try {
    meta = JSON.parse(text(copy.subarray(BINARY_HEADER_SIZE)));
  } catch {
    return 'JSON area does not parse';
  }
  if (typeof meta !== 'object' || meta === null || Array.isArray(meta)) return 'JSON area is not an object';
  return {
    seqid: view.getBigUint64(16, false),
    hdrSize: size,
    label: text(copy.subarray(24, 72)),
    uuid: text(copy.subarray(168, 208)),
    subsystem: text(copy.subarray(208, 256)),
    meta: meta as Record<string, unknown>,
  };
}

async function readCopy(src: ByteSource, offset: number, secondary: boolean): Promise<HeaderCopy | string> {
  if (offset + BINARY_HEADER_SIZE > src.size) return 'image too short';
  const size = peek(await src.read(offset, BINARY_HEADER_SIZE), secondary);
  if (typeof size === 'string') return size;
  if (offset + size > src.size) return 'image too short for the header';
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
  let secondary: HeaderCopy | string = 'no LUKS magic';
  const offsets = typeof primary === 'string' ? HEADER_SIZES : [primary.hdrSize];
  for (const at of offsets) {
    const found = await readCopy(src, at, true);
    if (found === 'no LUKS magic' || found === 'image too short') continue;
    secondary = found;
    break;
  }
  const problems: string[] = [];
  if (typeof primary === 'string') problems.push(`primary header: ${primary}`);
  if (typeof secondary === 'string') problems.push(`secondary header: ${secondary}`);
  if (typeof primary === 'string' && typeof secondary === 'string') {
    const none = primary === 'no LUKS magic' && secondary === 'no LUKS magic';
    if (primary.startsWith('image too short') && !none) {
      throw new SectorCryptError('ERR_TRUNCATED', `image is truncated: ${src.size} bytes, too short for its LUKS2 header`);
    }
    throw new SectorCryptError('ERR_CORRUPT_HEADER', none ? 'no LUKS2 header found' : `both LUKS2 header copies are damaged (${problems.join('; ')})`);
  }
  if (typeof primary === 'string') return { current: secondary as HeaderCopy, problems };
  if (typeof secondary === 'string') return { current: primary, problems };
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
  copy.set(secondary ? MAGIC_SECONDARY : MAGIC_PRIMARY, 0);
  view.setUint16(6, 2, false);
  view.setBigUint64(8, BigInt(h.hdrSize), false);
  view.setBigUint64(16, h.seqid, false);
  putText(copy, 24, 48, h.label);
  putText(copy, 72, 32, 'sha256');
  copy.set(randomBytes(64), 104);
  putText(copy, 168, 40, h.uuid);
  putText(copy, 208, 48, h.subsystem);
  view.setBigUint64(256, BigInt(offset), false);
  const json = Buffer.from(JSON.stringify(h.meta), 'utf8');
  if (json.length >= h.hdrSize - BINARY_HEADER_SIZE) throw new SectorCryptError('ERR_NO_KEYSLOT', 'LUKS2 metadata no longer fits the JSON area');
  copy.set(json, BINARY_HEADER_SIZE);
  copy.set(checksum(copy), CSUM_AT);
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
