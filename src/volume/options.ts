/** Option types of Volume and the checks on them. */
import { SectorCryptError } from '../errors.js';
import { isBytes } from '../bytes.js';
import type { PbkdfOptions } from '../keys/kdf.js';
import type { VolumeAgent } from './broker-binding.js';

/** A passphrase: text (encoded as UTF-8, as cryptsetup reads it) or raw bytes. */
export type Passphrase = string | Uint8Array;

export interface VolumeCreateOptions {
  /** Data bytes, a multiple of sectorSize. The file becomes 16 MiB (metadata) larger. */
  size: number;
  passphrase: Passphrase;
  /** Default 4096. */
  sectorSize?: 512 | 4096;
  /** Default 512 (AES-256-XTS); 256 gives AES-128-XTS. */
  keyBits?: 256 | 512;
  /** Key slot KDF; default argon2id, 4 passes, 256 MiB, 4 lanes. */
  pbkdf?: PbkdfOptions;
  label?: string;
  /** PBKDF2 iterations of the volume key digest; default 100,000. */
  digestIterations?: number;
  /** Replace a non-empty file or a block device; without it that is ERR_EXISTS. Default false. */
  overwrite?: boolean;
}

export const CREATE_KEYS = ['size', 'passphrase', 'sectorSize', 'keyBits', 'pbkdf', 'label', 'digestIterations', 'overwrite'] as const;
export const LUKS_OPEN_KEYS = ['passphrase', 'agent', 'format', 'readOnly'] as const;
export const PLAIN_OPEN_KEYS = ['key', 'format', 'sectorSize', 'offset', 'ivLargeSectors', 'size', 'readOnly', 'overwrite'] as const;

export interface RestoreHeaderOptions {
  /** Restore even when the volume's header differs from the backup (UUID, key slots, seqid). */
  force?: boolean;
}

export interface LuksOpenOptions {
  /**
   * Give one: a passphrase, or an agent (BrokerAgent) that releases a sectorcrypt-broker token's
   * secret; several (one per broker) for a sectorcrypt-threshold token.
   */
  passphrase?: Passphrase;
  agent?: VolumeAgent | VolumeAgent[];
  format?: 'luks2';
  readOnly?: boolean;
}

/** dm-crypt plain mode, as `cryptsetup open --type plain --cipher aes-xts-plain64`. */
export interface PlainOpenOptions {
  key: Uint8Array;
  format: 'plain';
  /** Default 512, as cryptsetup's plain mode. */
  sectorSize?: 512 | 1024 | 2048 | 4096;
  /** Bytes before the data (cryptsetup --offset times 512); default 0. The IV does not count it. */
  offset?: number;
  /** Count the IV in sectorSize units (cryptsetup --iv-large-sectors); default false: 512-byte units. */
  ivLargeSectors?: boolean;
  /** Data bytes; default up to the end of the file or device. */
  size?: number;
  readOnly?: boolean;
  /** Open for writing even though the file starts with a LUKS header (that is ERR_EXISTS otherwise). */
  overwrite?: boolean;
}

export type VolumeOpenOptions = LuksOpenOptions | PlainOpenOptions;

export interface AddPassphraseOptions {
  pbkdf?: PbkdfOptions;
}

export interface BindBrokerOptions {
  /** The new slot's KDF; default PBKDF2 with 1000 iterations (the secret is 32 random bytes). */
  pbkdf?: PbkdfOptions;
}

export function passphraseBytes(p: unknown, name = 'passphrase'): Uint8Array {
  let bytes: Uint8Array;
  if (typeof p === 'string') bytes = new Uint8Array(Buffer.from(p, 'utf8'));
  else if (isBytes(p)) bytes = new Uint8Array(p);
  else throw new SectorCryptError('ERR_ARGUMENT', `${name} must be a string or a Uint8Array`);
  if (bytes.length === 0) throw new SectorCryptError('ERR_ARGUMENT', `${name} must not be empty`);
  return bytes;
}

export function checkSizeOption(size: unknown, sectorSize: number): number {
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size <= 0 || size % sectorSize !== 0) {
    throw new SectorCryptError('ERR_ARGUMENT', `size must be a positive multiple of the sector size (${sectorSize})`);
  }
  return size;
}

export function oneOf<T>(value: unknown, allowed: readonly T[], fallback: T, name: string): T {
  if (value === undefined) return fallback;
  if (!allowed.includes(value as T)) throw new SectorCryptError('ERR_ARGUMENT', `${name} must be one of ${allowed.join(', ')}`);
  return value as T;
}
