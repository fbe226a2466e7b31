/** Whole-header operations without a passphrase: crypto-erase, backup, restore, inspect. */
import { randomFillSync } from 'node:crypto';
import { open, readFile, unlink } from 'node:fs/promises';
import { SectorCryptError } from '../errors.js';
import { fsError, osCode, withFsErrors } from '../fs-errors.js';
import { ImageFile } from './image-file.js';
import { readHeaders, type ByteSource, type HeaderCopy } from './luks2-header.js';
import { readMetadata } from './luks2-metadata.js';
import { brokerTokens, checkTokens } from './luks2-tokens.js';

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
    const out = await open(target, 'wx', 0o600).catch((err: unknown) => {
      if (osCode(err) === 'EEXIST')
        throw new SectorCryptError('ERR_EXISTS', `${target} already exists; a header backup never overwrites a file`, { cause: err });
      throw fsError(err, target, 'create');
    });
    try {
      await withFsErrors(target, 'write', async () => {
        await out.writeFile(bytes);
        await out.sync();
      });
    } catch (err) {
      await out.close();
      await unlink(target).catch(() => {});
      throw err;
    }
    await out.close();
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

interface HeaderBackup {
  bytes: Uint8Array;
  header: HeaderCopy;
}

async function readBackup(source: string): Promise<HeaderBackup> {
  const bytes = new Uint8Array(await withFsErrors(source, 'read', () => readFile(source)));
  const { current: header } = await readHeaders(memorySource(bytes));
  const end = metadataEnd(header);
  if (bytes.length !== end)
    throw new SectorCryptError('ERR_CORRUPT_HEADER', `header backup is ${bytes.length} bytes, its header says ${end}`);
  return { bytes, header };
}

/** Key slot ids with their JSON, to see which ones a restore would drop, bring back or change. */
function keyslotJson(h: HeaderCopy): Map<string, string> {
  const slots = (h.meta.keyslots ?? {}) as Record<string, unknown>;
  return new Map(Object.entries(slots).map(([id, slot]) => [id, JSON.stringify(slot)]));
}

/**
 * What restoring `backup` over `current` would change, one sentence each; empty when the
 * volume's header is the backup's (same UUID, seqid and key slots).
 */
export function headerDifferences(current: HeaderCopy, backup: HeaderCopy): string[] {
  if (current.uuid !== backup.uuid)
    return [`the volume has UUID ${current.uuid}, the backup ${backup.uuid}: it is another volume's header`];
  const now = keyslotJson(current);
  const then = keyslotJson(backup);
  const lost = [...now.keys()].filter((id) => !then.has(id));
  const back = [...then.keys()].filter((id) => !now.has(id));
  const changed = [...now.keys()].filter((id) => then.has(id) && then.get(id) !== now.get(id));
  const out: string[] = [];
  if (lost.length > 0)
    out.push(
      `key slot${lost.length > 1 ? 's' : ''} ${lost.join(', ')} (added after the backup) would be removed: ${lost.length > 1 ? 'their passphrases' : 'its passphrase'} would stop working`,
    );
  if (back.length > 0)
    out.push(
      `key slot${back.length > 1 ? 's' : ''} ${back.join(', ')} (removed after the backup) would come back: ${back.length > 1 ? 'their old passphrases' : 'its old passphrase'} would work again`,
    );
  if (changed.length > 0)
    out.push(`key slot${changed.length > 1 ? 's' : ''} ${changed.join(', ')} would be rolled back to the backup's passphrase`);
  if (current.seqid !== backup.seqid) out.push(`the header would go from seqid ${current.seqid} back to ${backup.seqid}`);
  return out;
}

/** headerDifferences between the volume at `path` (when it has a readable header) and `source`. */
export async function compareHeaderBackup(path: string, source: string): Promise<string[]> {
  const { header } = await readBackup(source);
  const file = await ImageFile.open(path, { writable: false });
  try {
    const existing = await readHeaders(file).catch(() => undefined);
    return existing ? headerDifferences(existing.current, header) : [];
  } finally {
    await file.close();
  }
}

export async function restoreHeader(path: string, source: string, opts: { force?: boolean }): Promise<void> {
  const { bytes, header: backup } = await readBackup(source);
  const md = readMetadata(backup.meta, backup.hdrSize);
  const file = await ImageFile.open(path, { writable: true });
  try {
    if (file.size < md.segment.offset)
      throw new SectorCryptError('ERR_TRUNCATED', 'the volume is smaller than the data offset of the backup');
    const existing = await readHeaders(file).catch(() => undefined);
    const differences = existing ? headerDifferences(existing.current, backup) : [];
    if (differences.length > 0 && !opts.force) {
      throw new SectorCryptError(
        'ERR_EXISTS',
        `restoring would change the volume's header: ${differences.join('; ')} (pass force to restore anyway)`,
      );
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
  /** LUKS2 tokens; a sectorcrypt-broker token also names its broker key and version. */
  tokens: { token: number; type: string; keyslots: number[]; keyId?: string; version?: number }[];
  /** Why a header copy was not used (damage, interrupted update). */
  problems: string[];
}

function tokenSummary(meta: Record<string, unknown>, slotIds: string[]): VolumeSummary['tokens'] {
  const broker = new Map(brokerTokens(meta, slotIds).map((t) => [t.id, t]));
  return [...checkTokens(meta, slotIds)].map(([id, t]) => {
    const b = broker.get(id);
    return { token: Number(id), type: t.type, keyslots: t.keyslots.map(Number), ...(b ? { keyId: b.keyId, version: b.version } : {}) };
  });
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
      tokens: tokenSummary(
        current.meta,
        md.keyslots.map((k) => k.id),
      ),
      problems,
    };
  } finally {
    await file.close();
  }
}
