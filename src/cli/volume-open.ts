/**
 * The options `sectorcrypt volume` commands share: how a volume is opened (a LUKS2 passphrase,
 * or a plain image's raw key) and the key slot KDF settings of a new passphrase.
 */
import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { Volume } from '../volume/index.js';
import type { PbkdfOptions } from '../keys/kdf.js';
import { wipe } from '../bytes.js';
import { SectorCryptError } from '../errors.js';
import { withFsErrors } from '../fs-errors.js';
import { noteWhile } from './progress.js';
import { getPassphrase } from './passphrase.js';
import { bytes, integer } from './args.js';

export interface PbkdfFlags {
  pbkdf?: 'argon2id' | 'argon2i' | 'pbkdf2';
  pbkdfMemory?: number;
  pbkdfTime?: number;
  pbkdfParallel?: number;
  pbkdfIterations?: number;
}

export function withPbkdf(cmd: Command): Command {
  return cmd
    .option('--pbkdf <type>', 'key slot KDF: argon2id (default), argon2i or pbkdf2')
    .option('--pbkdf-memory <KiB>', 'argon2 memory in KiB (default 262144)', integer('--pbkdf-memory'))
    .option('--pbkdf-time <n>', 'argon2 passes (default 4)', integer('--pbkdf-time'))
    .option('--pbkdf-parallel <n>', 'argon2 lanes (default 4)', integer('--pbkdf-parallel'))
    .option('--pbkdf-iterations <n>', 'pbkdf2 iterations (default 1000000)', integer('--pbkdf-iterations'));
}

/** The KDF settings given, or undefined when none was (the library's defaults then hold). */
export function pbkdfOf(f: PbkdfFlags): PbkdfOptions | undefined {
  if (
    !f.pbkdf &&
    f.pbkdfMemory === undefined &&
    f.pbkdfTime === undefined &&
    f.pbkdfParallel === undefined &&
    f.pbkdfIterations === undefined
  ) {
    return undefined;
  }
  return {
    ...(f.pbkdf ? { type: f.pbkdf } : {}),
    ...(f.pbkdfMemory !== undefined ? { memory: f.pbkdfMemory } : {}),
    ...(f.pbkdfTime !== undefined ? { time: f.pbkdfTime } : {}),
    ...(f.pbkdfParallel !== undefined ? { parallel: f.pbkdfParallel } : {}),
    ...(f.pbkdfIterations !== undefined ? { iterations: f.pbkdfIterations } : {}),
  };
}

export interface OpenFlags {
  passphraseFile?: string;
  keyFile?: string;
  sectorSize?: number;
  dataOffset?: number;
  ivLargeSectors?: boolean;
  force?: boolean;
}

/** Opens a LUKS2 volume with a passphrase, or a plain image when --key-file is given. */
export async function openVolume(image: string, f: OpenFlags, readOnly: boolean): Promise<Volume> {
  if (f.keyFile !== undefined && f.passphraseFile !== undefined) {
    throw new SectorCryptError(
      'ERR_ARGUMENT',
      '--key-file (a plain image) and --passphrase-file (a LUKS2 volume) exclude each other; give one',
    );
  }
  if (f.keyFile) {
    const keyFile = f.keyFile;
    const key = new Uint8Array(await withFsErrors(keyFile, 'read key file', () => readFile(keyFile)));
    try {
      return await Volume.open(image, {
        key,
        format: 'plain',
        readOnly,
        ...(f.force ? { overwrite: true } : {}),
        ...(f.sectorSize ? { sectorSize: f.sectorSize as 512 } : {}),
        ...(f.dataOffset !== undefined ? { offset: f.dataOffset } : {}),
        ...(f.ivLargeSectors ? { ivLargeSectors: true } : {}),
      });
    } finally {
      wipe(key);
    }
  }
  const passphrase = await getPassphrase(f.passphraseFile, `Passphrase for ${image}: `);
  try {
    return await noteWhile('deriving key from passphrase', () => Volume.open(image, { passphrase, readOnly }));
  } finally {
    wipe(passphrase);
  }
}

export function withOpen(cmd: Command): Command {
  return cmd
    .option('--passphrase-file <file>', 'read the passphrase from this file (all of its bytes, as cryptsetup --key-file)')
    .option('--key-file <file>', 'plain dm-crypt image: the raw aes-xts key (32 or 64 bytes) in this file')
    .option('--sector-size <n>', 'plain image: sector size (default 512)', integer('--sector-size'))
    .option('--data-offset <bytes>', 'plain image: bytes before the data (default 0)', bytes('--data-offset'))
    .option('--iv-large-sectors', 'plain image: IV counts sectors, not 512-byte units');
}
