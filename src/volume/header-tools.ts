/** Whole-header operations without a passphrase: crypto-erase, backup, restore, inspect. */
import { randomFillSync } from 'node:crypto';
import { open, readFile } from 'node:fs/promises';
import { SectorCryptError } from '../errors.js';
import { ImageFile } from './image-file.js';
import { readHeaders, type ByteSource, type HeaderCopy } from './luks2-header.js';
import { readMetadata } from './luks2-metadata.js';

const CHUNK = 1024 * 1024;

/** Bytes from 0 to the end of the key slot area: what holds every secret. */
function metadataEnd(h: HeaderCopy): number {
  const config = h.meta.config as Record<string, unknown> | undefined;
  const slots = Number(config?.keyslots_size);
  if (!Number.isSafeInteger(slots) || slots < 0) throw new SectorCryptError('ERR_CORRUPT_HEADER', 'config.keyslots_size is missing');
  return 2 * h.hdrSize + slots;
}

export async function eraseVolume(path: string): Promise<void> {
  const file = await ImageFile.open(path, { writable: true });
  try {
    const { current } = await readHeaders(file);
    const end = Math.min(metadataEnd(current), file.size);
    const noise = new Uint8Array(CHUNK);
    for (let at = 0; at < end; at += CHUNK) {
      const part = noise.subarray(0, Math.min(CHUNK, end - at));
      randomFillSync(part);
      await file.write(at, part);
    }
    await file.sync();
  } finally {
    await file.close();
  }
}

export async function backupHeader(path: string, target: string): Promise<void> {
  const file = await ImageFile.open(path, { writable: false });
  try {
    const { current } = await readHeaders(file);
    const bytes = await file.read(0, metadataEnd(current));
    const out = await open(target, 'wx', 0o600).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'EEXIST') throw new SectorCryptError('ERR_ARGUMENT', `${target} already exists; a backup never overwrites a file`);
      throw err;
    });
    try {
      await out.writeFile(bytes);
      await out.sync();
    } finally {
      await out.close();
    }
  } finally {
    await file.close();
  }
}

function memorySource(bytes: Uint8Array): ByteSource {
  return {
    size: bytes.length,
    async read(position, length) {
      if (position + length > bytes.length) throw new SectorCryptError('ERR_TRUNCATED', 'header backup is too short');
      return bytes.subarray(position, position + length);
    },
  };
}

export async function restoreHeader(path: string, source: string, opts: { force?: boolean }): Promise<void> {
  const bytes = new Uint8Array(await readFile(source));
  const { current: backup } = await readHeaders(memorySource(bytes));
  const md = readMetadata(backup.meta, backup.hdrSize);
  const end = metadataEnd(backup);
  if (bytes.length !== end) throw new SectorCryptError('ERR_CORRUPT_HEADER', `header backup is ${bytes.length} bytes, its header says ${end}`);
  const file = await ImageFile.open(path, { writable: true });
  try {
    if (file.size < md.segment.offset) throw new SectorCryptError('ERR_TRUNCATED', 'the volume is smaller than the data offset of the backup');
    const existing = await readHeaders(file).catch(() => undefined);
    if (existing && existing.current.uuid !== backup.uuid && !opts.force) {
      throw new SectorCryptError('ERR_ARGUMENT', `the volume has UUID ${existing.current.uuid}, the backup ${backup.uuid} (pass force to restore anyway)`);
    }
    await file.write(0, bytes);
    await file.sync();
  } finally {
    await file.close();
  }
}

export interface VolumeSummary {
  format: 'luks2';
  uuid: string;
  label: string;
  seqid: string;
  headerSize: number;
  dataOffset: number;
  dataSize: number;
  sectorSize: number;
  cipher: string;
  keyBits: number;
  keyslots: { slot: number; kdf: string; priority: number }[];
  /** Why a header copy was not used (damage, interrupted update). */
  problems: string[];
}

export async function inspectVolume(path: string): Promise<VolumeSummary> {
  const file = await ImageFile.open(path, { writable: false });
  try {
    const { current, problems } = await readHeaders(file);
    const md = readMetadata(current.meta, current.hdrSize);
    const room = Math.max(0, Math.floor((file.size - md.segment.offset) / md.segment.sectorSize) * md.segment.sectorSize);
    return {
      format: 'luks2',
      uuid: current.uuid,
      label: current.label,
      seqid: String(current.seqid),
      headerSize: current.hdrSize,
      dataOffset: md.segment.offset,
      dataSize: md.segment.size === 'dynamic' ? room : md.segment.size,
      sectorSize: md.segment.sectorSize,
      cipher: 'aes-xts-plain64',
      keyBits: (md.keyslots[0]?.keySize ?? 0) * 8,
      keyslots: md.keyslots.map((k) => ({ slot: Number(k.id), kdf: k.kdf.type, priority: k.priority })),
      problems,
    };
  } finally {
    await file.close();
  }
}
