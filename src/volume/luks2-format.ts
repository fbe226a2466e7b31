/**
 * A new LUKS2 header with cryptsetup's default layout: 16 KiB header copies, a key slot
 * area up to 16 MiB, and the data from 16 MiB on.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { SectorCryptError } from '../errors.js';
import { equalConstantTime } from '../bytes.js';
import { DEFAULT_DIGEST_ITERATIONS, makeDigest } from '../keys/digest.js';
import type { PbkdfOptions } from '../keys/kdf.js';
import type { ImageFile } from './image-file.js';
import type { HeaderCopy } from './luks2-header.js';
import { CIPHER } from './luks2-metadata.js';
import { addKeyslot } from './luks2-keyslots.js';

export const HDR_SIZE = 16384;
export const DATA_OFFSET = 16 * 1024 * 1024;
const KEYSLOTS_SIZE = DATA_OFFSET - 2 * HDR_SIZE;
const ZERO_CHUNK = 1024 * 1024;

export interface FormatOptions {
  size: number;
  passphrase: Uint8Array;
  sectorSize: number;
  keyBytes: number;
  pbkdf?: PbkdfOptions;
  digestIterations?: number;
  label?: string;
}

function newVolumeKey(bytes: number): Uint8Array {
  for (;;) {
    const key = new Uint8Array(randomBytes(bytes));
    if (!equalConstantTime(key.subarray(0, bytes / 2), key.subarray(bytes / 2))) return key;
  }
}

/** Overwrites the metadata area so nothing of an earlier header or key slot survives. */
async function clearMetadata(file: ImageFile): Promise<void> {
  const zeros = new Uint8Array(ZERO_CHUNK);
  for (let at = 0; at < DATA_OFFSET; at += ZERO_CHUNK) await file.write(at, zeros);
}

/** Writes a fresh LUKS2 volume onto `file`; returns its header and volume key. */
export async function formatLuks2(file: ImageFile, opts: FormatOptions): Promise<{ header: HeaderCopy; volumeKey: Uint8Array }> {
  const wasEmpty = !file.isBlockDevice && file.size === 0;
  if (file.isBlockDevice && file.size < DATA_OFFSET + opts.size) {
    throw new SectorCryptError('ERR_ARGUMENT', `the device holds ${file.size} bytes, the volume needs ${DATA_OFFSET + opts.size}`);
  }
  // Resize first: a size the file system refuses (EFBIG, ENOSPC) then fails before anything
  // of an existing file was overwritten.
  await file.setLength(DATA_OFFSET + opts.size);
  if (!wasEmpty) await clearMetadata(file);
  const volumeKey = newVolumeKey(opts.keyBytes);
  const digest = await makeDigest(volumeKey, randomBytes(32), opts.digestIterations ?? DEFAULT_DIGEST_ITERATIONS);
  const fixedSize = file.isBlockDevice && file.size > DATA_OFFSET + opts.size;
  const header: HeaderCopy = {
    seqid: 0n,
    hdrSize: HDR_SIZE,
    label: opts.label ?? '',
    subsystem: '',
    uuid: randomUUID(),
    meta: {
      keyslots: {},
      tokens: {},
      segments: {
        '0': {
          type: 'crypt',
          offset: String(DATA_OFFSET),
          size: fixedSize ? String(opts.size) : 'dynamic',
          iv_tweak: '0',
          encryption: CIPHER,
          sector_size: opts.sectorSize,
        },
      },
      digests: {
        '0': {
          type: 'pbkdf2',
          keyslots: [],
          segments: ['0'],
          hash: digest.hash,
          iterations: digest.iterations,
          salt: Buffer.from(digest.salt).toString('base64'),
          digest: Buffer.from(digest.digest).toString('base64'),
        },
      },
      config: { json_size: String(HDR_SIZE - 4096), keyslots_size: String(KEYSLOTS_SIZE) },
    },
  };
  await addKeyslot(file, header, volumeKey, opts.passphrase, opts.pbkdf);
  return { header, volumeKey };
}
