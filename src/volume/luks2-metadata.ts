/**
 * Reading the LUKS2 JSON metadata into checked, typed values. Anything this library does
 * not implement (reencryption, integrity, other ciphers, several segments) is refused with
 * ERR_UNSUPPORTED rather than half-understood. Tokens are checked for their shape and kept
 * (luks2-tokens.ts).
 */
import { SectorCryptError } from '../errors.js';
import type { KdfParams } from '../keys/kdf.js';
import type { KeyslotShape } from '../keys/keyslot.js';
import type { VolumeKeyDigest } from '../keys/digest.js';
import { checkTokens } from './luks2-tokens.js';

export const CIPHER = 'aes-xts-plain64';
export const MAX_KEYSLOTS = 32;

export interface Keyslot extends KeyslotShape {
  id: string;
  areaOffset: number;
  areaSize: number;
  /** 0 ignore, 1 normal, 2 preferred (cryptsetup's meaning). */
  priority: number;
}

export interface Segment {
  offset: number;
  /** Bytes, or 'dynamic' (up to the end of the device). */
  size: number | 'dynamic';
  sectorSize: number;
  /** dm-crypt iv_offset, in 512-byte units. */
  ivTweak: bigint;
}

export interface Digest extends VolumeKeyDigest {
  id: string;
  keyslots: string[];
}

export interface Metadata {
  keyslots: Keyslot[];
  segment: Segment;
  digest: Digest;
  jsonSize: number;
  keyslotsSize: number;
}

type Obj = Record<string, unknown>;

function corrupt(what: string): never {
  throw new SectorCryptError('ERR_CORRUPT_HEADER', `LUKS2 metadata: ${what}`);
}

function unsupported(what: string): never {
  throw new SectorCryptError('ERR_UNSUPPORTED', `LUKS2 volume uses ${what}, which sectorcrypt does not support`);
}

function obj(v: unknown, what: string): Obj {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) corrupt(`${what} is not an object`);
  return v as Obj;
}

/** A 64-bit value, written as a decimal string in LUKS2; must fit a safe JS integer here. */
function u64(v: unknown, what: string): number {
  if (typeof v !== 'string' || !/^\d{1,16}$/.test(v)) corrupt(`${what} is not a decimal string`);
  const n = Number(v);
  if (!Number.isSafeInteger(n)) corrupt(`${what} is too large`);
  return n;
}

function int(v: unknown, what: string, min = 0, max = 2 ** 32 - 1): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) corrupt(`${what} is not an integer from ${min} to ${max}`);
  return v;
}

function str(v: unknown, what: string): string {
  if (typeof v !== 'string') corrupt(`${what} is not a string`);
  return v;
}

function b64(v: unknown, what: string): Uint8Array {
  const s = str(v, what);
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(s)) corrupt(`${what} is not base64`);
  return new Uint8Array(Buffer.from(s, 'base64'));
}

function kdf(v: unknown, what: string): KdfParams {
  const k = obj(v, what);
  const type = str(k.type, `${what}.type`);
  if (type === 'pbkdf2') {
    const hash = str(k.hash, `${what}.hash`);
    if (!['sha1', 'sha256', 'sha512'].includes(hash)) unsupported(`PBKDF2 hash ${hash}`);
    return { type, hash, iterations: int(k.iterations, `${what}.iterations`, 1), salt: b64(k.salt, `${what}.salt`) };
  }
  if (type === 'argon2id' || type === 'argon2i') {
    return {
      type,
      time: int(k.time, `${what}.time`, 1),
      memory: int(k.memory, `${what}.memory`, 8, 4 * 1024 * 1024),
      cpus: int(k.cpus, `${what}.cpus`, 1, 16),
      salt: b64(k.salt, `${what}.salt`),
    };
  }
  unsupported(`the key slot KDF "${type}"`);
}

function keyslot(id: string, v: unknown): Keyslot {
  const what = `keyslot ${id}`;
  const s = obj(v, what);
  if (s.type !== 'luks2') unsupported(`a key slot of type "${String(s.type)}" (reencryption or another extension)`);
  const af = obj(s.af, `${what}.af`);
  if (af.type !== 'luks1') unsupported(`anti-forensic splitter "${String(af.type)}"`);
  const area = obj(s.area, `${what}.area`);
  if (area.type !== 'raw') unsupported(`key slot area type "${String(area.type)}"`);
  if (area.encryption !== CIPHER) unsupported(`key slot encryption "${String(area.encryption)}"`);
  const areaKeySize = int(area.key_size, `${what}.area.key_size`);
  if (![32, 48, 64].includes(areaKeySize)) unsupported(`a ${areaKeySize}-byte key slot key`);
  return {
    id,
    keySize: int(s.key_size, `${what}.key_size`, 1, 512),
    stripes: int(af.stripes, `${what}.af.stripes`, 1, 100000),
    afHash: str(af.hash, `${what}.af.hash`),
    areaKeySize,
    kdf: kdf(s.kdf, `${what}.kdf`),
    areaOffset: u64(area.offset, `${what}.area.offset`),
    areaSize: u64(area.size, `${what}.area.size`),
    priority: s.priority === undefined ? 1 : int(s.priority, `${what}.priority`, 0, 2),
  };
}

function segment(segments: Obj): Segment {
  const ids = Object.keys(segments);
  if (ids.length !== 1) unsupported(`${ids.length} segments (reencryption in progress, or none)`);
  const s = obj(segments[ids[0]], `segment ${ids[0]}`);
  if (s.type !== 'crypt') unsupported(`a segment of type "${String(s.type)}"`);
  if (s.integrity !== undefined) unsupported('integrity protection (dm-integrity)');
  if (s.encryption !== CIPHER) unsupported(`data encryption "${String(s.encryption)}"`);
  if (Array.isArray(s.flags) && s.flags.length > 0) unsupported(`segment flags ${JSON.stringify(s.flags)}`);
  const sectorSize = int(s.sector_size, 'segment.sector_size');
  if (![512, 1024, 2048, 4096].includes(sectorSize)) corrupt(`sector_size ${sectorSize} is not 512, 1024, 2048 or 4096`);
  const offset = u64(s.offset, 'segment.offset');
  if (offset % sectorSize !== 0) corrupt('segment offset is not sector aligned');
  const size = s.size === 'dynamic' ? 'dynamic' : u64(s.size, 'segment.size');
  if (size !== 'dynamic' && size % sectorSize !== 0) corrupt('segment size is not whole sectors');
  const ivTweak = BigInt(u64(s.iv_tweak ?? '0', 'segment.iv_tweak'));
  if (ivTweak % BigInt(sectorSize / 512) !== 0n) unsupported('an iv_tweak that is not whole sectors');
  return { offset, size, sectorSize, ivTweak };
}

function digest(digests: Obj, segmentId: string): Digest {
  for (const [id, v] of Object.entries(digests)) {
    const d = obj(v, `digest ${id}`);
    const segments = Array.isArray(d.segments) ? d.segments : [];
    if (!segments.includes(segmentId)) continue;
    if (d.type !== 'pbkdf2') unsupported(`a volume key digest of type "${String(d.type)}"`);
    const hash = str(d.hash, `digest ${id}.hash`);
    if (!['sha1', 'sha256', 'sha512'].includes(hash)) unsupported(`digest hash ${hash}`);
    const keyslots = Array.isArray(d.keyslots)
      ? d.keyslots.map((k) => str(k, `digest ${id}.keyslots`))
      : corrupt(`digest ${id}.keyslots is not a list`);
    return {
      id,
      hash,
      iterations: int(d.iterations, `digest ${id}.iterations`, 1),
      salt: b64(d.salt, `digest ${id}.salt`),
      digest: b64(d.digest, `digest ${id}.digest`),
      keyslots,
    };
  }
  corrupt('no digest covers the data segment');
}

/** Checks the metadata and the layout against the header size; returns what the volume code needs. */
export function readMetadata(meta: Obj, hdrSize: number): Metadata {
  const config = obj(meta.config, 'config');
  const requirements = config.requirements === undefined ? {} : obj(config.requirements, 'config.requirements');
  if (Array.isArray(requirements.mandatory) && requirements.mandatory.length > 0) {
    unsupported(`mandatory requirements ${JSON.stringify(requirements.mandatory)} (such as reencryption)`);
  }
  const jsonSize = u64(config.json_size, 'config.json_size');
  if (jsonSize !== hdrSize - 4096) corrupt('json_size does not match the header size');
  const keyslotsSize = u64(config.keyslots_size, 'config.keyslots_size');
  const slotsObj = obj(meta.keyslots, 'keyslots');
  const keyslots = Object.entries(slotsObj).map(([id, v]) => keyslot(id, v));
  checkTokens(
    meta,
    keyslots.map((k) => k.id),
  );
  const segs = obj(meta.segments, 'segments');
  const seg = segment(segs);
  const areaStart = 2 * hdrSize;
  const areaEnd = areaStart + keyslotsSize;
  for (const k of keyslots) {
    if (k.areaOffset < areaStart || k.areaOffset + k.areaSize > areaEnd) corrupt(`keyslot ${k.id} area lies outside the key slot area`);
    if (k.areaSize < k.keySize * k.stripes) corrupt(`keyslot ${k.id} area is smaller than its key material`);
  }
  if (seg.offset < areaEnd) unsupported('a data segment inside the metadata area (a detached header?)');
  return { keyslots, segment: seg, digest: digest(obj(meta.digests, 'digests'), Object.keys(segs)[0]), jsonSize, keyslotsSize };
}
