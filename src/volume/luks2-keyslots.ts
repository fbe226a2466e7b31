/**
 * Key slot management on an open LUKS2 header: unlock with a passphrase, add a slot,
 * remove a slot. Slot material is written and synced before the header that points at
 * it; a removed slot leaves the header first and is wiped after.
 */
import { randomBytes } from 'node:crypto';
import { SectorCryptError } from '../errors.js';
import { wipe } from '../bytes.js';
import { kdfParams, type PbkdfOptions, type KdfParams } from '../keys/kdf.js';
import { digestMatches } from '../keys/digest.js';
import { AF_HASH, AF_STRIPES, keyslotAreaSize, openKeyslot, sealKeyslot } from '../keys/keyslot.js';
import type { ImageFile } from './image-file.js';
import { serializeCopy, writeHeaders, type HeaderCopy } from './luks2-header.js';
import { CIPHER, MAX_KEYSLOTS, readMetadata, type Keyslot } from './luks2-metadata.js';
import { freeTokenId, unassignSlot } from './luks2-tokens.js';

type Obj = Record<string, any>;

function b64(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('base64');
}

function kdfJson(k: KdfParams): Obj {
  if (k.type === 'pbkdf2') return { type: k.type, hash: k.hash, iterations: k.iterations, salt: b64(k.salt) };
  return { type: k.type, time: k.time, memory: k.memory, cpus: k.cpus, salt: b64(k.salt) };
}

/** Slots to try: those the digest covers, preferred first, "ignore" (priority 0) last. */
function candidates(header: HeaderCopy): Keyslot[] {
  const md = readMetadata(header.meta, header.hdrSize);
  const order = (k: Keyslot) => (k.priority === 0 ? 3 : 2 - k.priority);
  return md.keyslots.filter((k) => md.digest.keyslots.includes(k.id)).sort((a, b) => order(a) - order(b) || Number(a.id) - Number(b.id));
}

export interface Unlocked {
  volumeKey: Uint8Array;
  slot: number;
}

/** Finds the slot `passphrase` opens (among `only`, when given); ERR_AUTH when none does. */
export async function unlock(file: ImageFile, header: HeaderCopy, passphrase: Uint8Array, only?: string[]): Promise<Unlocked> {
  const md = readMetadata(header.meta, header.hdrSize);
  const slots = candidates(header).filter((k) => !only || only.includes(k.id));
  if (slots.length === 0) throw new SectorCryptError('ERR_NO_KEYSLOT', 'the volume has no key slot (it was erased?)');
  for (const slot of slots) {
    const area = await file.read(slot.areaOffset, slot.areaSize);
    const key = await openKeyslot(slot, passphrase, area);
    if (await digestMatches(key, md.digest)) return { volumeKey: key, slot: Number(slot.id) };
    wipe(key);
  }
  throw new SectorCryptError('ERR_AUTH', 'no key slot opens with this passphrase');
}

/** The lowest free slot number and the first gap in the key slot area that fits `size`. */
function allocate(header: HeaderCopy, size: number): { id: number; offset: number } {
  const md = readMetadata(header.meta, header.hdrSize);
  const used = new Set(md.keyslots.map((k) => Number(k.id)));
  let id = 0;
  while (used.has(id)) id++;
  if (id >= MAX_KEYSLOTS) throw new SectorCryptError('ERR_NO_KEYSLOT', `all ${MAX_KEYSLOTS} key slots are in use`);
  const areas = md.keyslots.map((k) => [k.areaOffset, k.areaOffset + k.areaSize]).sort((a, b) => a[0] - b[0]);
  const end = 2 * header.hdrSize + md.keyslotsSize;
  let offset = 2 * header.hdrSize;
  for (const [start, stop] of areas) {
    if (offset + size <= start) break;
    offset = Math.max(offset, Math.ceil(stop / 4096) * 4096);
  }
  if (offset + size > end) throw new SectorCryptError('ERR_NO_KEYSLOT', 'the key slot area has no room for another key slot');
  return { id, offset };
}

/**
 * Seals `volumeKey` under `passphrase` in a new slot; returns its number. `token` (given the
 * new slot's number) adds a LUKS2 token for it in the same header write, so the slot never
 * exists without its token.
 */
export async function addKeyslot(
  file: ImageFile,
  header: HeaderCopy,
  volumeKey: Uint8Array,
  passphrase: Uint8Array,
  pbkdf?: PbkdfOptions,
  token?: (slot: number) => Obj,
): Promise<number> {
  const kdf = kdfParams(pbkdf, randomBytes(32));
  const size = keyslotAreaSize(volumeKey.length);
  const { id, offset } = allocate(header, size);
  // The new metadata is made and checked on a copy, so a failure leaves `header` as it was.
  const meta = structuredClone(header.meta) as Obj;
  meta.keyslots[String(id)] = {
    type: 'luks2',
    key_size: volumeKey.length,
    af: { type: 'luks1', stripes: AF_STRIPES, hash: AF_HASH },
    area: { type: 'raw', offset: String(offset), size: String(size), encryption: CIPHER, key_size: volumeKey.length },
    kdf: kdfJson(kdf),
  };
  const digest = readMetadata(meta, header.hdrSize).digest;
  meta.digests[digest.id].keyslots.push(String(id));
  if (token) {
    meta.tokens ??= {};
    meta.tokens[freeTokenId(meta)] = token(id);
  }
  readMetadata(meta, header.hdrSize);
  serializeCopy({ ...header, meta }, false); // throws when the JSON area is full
  const material = await sealKeyslot(volumeKey, passphrase, kdf, volumeKey.length);
  const area = new Uint8Array(size);
  area.set(material);
  await file.write(offset, area);
  await file.sync();
  await commit(file, header, meta);
  return id;
}

/** Writes `meta` as the next header generation; `header` takes it once both copies are written. */
async function commit(file: ImageFile, header: HeaderCopy, meta: Obj): Promise<void> {
  const next = { ...header, meta };
  await writeHeaders(file, next);
  header.meta = meta;
  header.seqid = next.seqid;
}

/** Drops slot `id` from the header, then overwrites its area with random bytes. */
export async function removeKeyslot(file: ImageFile, header: HeaderCopy, id: number): Promise<void> {
  const md = readMetadata(header.meta, header.hdrSize);
  const slot = md.keyslots.find((k) => k.id === String(id));
  if (!slot) throw new SectorCryptError('ERR_NO_KEYSLOT', `key slot ${id} is not in use`);
  const meta = structuredClone(header.meta) as Obj;
  delete meta.keyslots[slot.id];
  for (const d of Object.values(meta.digests as Obj)) {
    if (Array.isArray(d.keyslots)) d.keyslots = d.keyslots.filter((k: string) => k !== slot.id);
  }
  unassignSlot(meta, slot.id);
  await commit(file, header, meta);
  await file.write(slot.areaOffset, randomBytes(slot.areaSize));
  await file.sync();
}
