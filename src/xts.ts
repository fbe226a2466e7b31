/**
 * XtsCipher: AES-XTS for sectors of a disk or image (IEEE 1619, dm-crypt's aes-xts-plain64).
 *
 * Checks every argument here, once, then hands whole batches to the backend.
 */
import { SectorCryptError } from './errors.js';
import { getBackend, type BackendChoice } from './backend/select.js';
import type { XtsKeyHandle } from './backend/types.js';
import { checkOptionKeys } from './options.js';
import { checkBytes, detach, equalConstantTime, isBytes, outputView, unalias } from './bytes.js';
import { newOutput } from './output.js';
import { MAX_UNIT_BYTES } from './limits.js';
import { le128 } from './tweak.js';

export interface XtsOptions {
  /** Bytes per sector: a multiple of 16 up to 16 MiB. Default 4096. */
  sectorSize?: number;
  /** The unit the tweak counts in; must divide sectorSize. Default sectorSize. */
  ivSectorSize?: number;
  backend?: BackendChoice;
  /** A native kernel ('aesni', 'vaes-avx2', 'vaes-avx512'; 'armv8-ce' on arm64); default the best the CPU runs. */
  kernel?: string;
}

const MAX_SECTOR = 2n ** 64n - 1n;

type Direction = 'encrypt' | 'decrypt';

function checkKey(key: unknown): Uint8Array {
  if (!isBytes(key) || (key.length !== 32 && key.length !== 48 && key.length !== 64)) {
    throw new SectorCryptError('ERR_KEY_LENGTH', 'XTS key must be a Uint8Array of 32, 48 or 64 bytes');
  }
  const half = key.length / 2;
  // Equal halves make XTS leak (IEEE 1619-2007 5.1 and FIPS refuse them).
  if (equalConstantTime(key.subarray(0, half), key.subarray(half))) {
    throw new SectorCryptError('ERR_XTS_WEAK_KEY', 'XTS key halves must differ');
  }
  return key;
}

function checkSize(value: unknown, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0 || value % 16 !== 0 || value > MAX_UNIT_BYTES) {
    throw new SectorCryptError('ERR_ARGUMENT', `${name} must be a positive multiple of 16 up to 16 MiB`);
  }
  return value;
}

/** The first sector as a bigint, with the whole batch inside 0 .. 2^64-1. */
function checkSector(first: unknown, count: number): bigint {
  let sector: bigint;
  if (typeof first === 'number') {
    if (!Number.isSafeInteger(first) || first < 0) {
      throw new SectorCryptError('ERR_ARGUMENT', 'firstSector must be a non-negative integer up to 2^53-1 (use a bigint above)');
    }
    sector = BigInt(first);
  } else if (typeof first === 'bigint') {
    if (first < 0n) throw new SectorCryptError('ERR_ARGUMENT', 'firstSector must not be negative');
    sector = first;
  } else {
    throw new SectorCryptError('ERR_ARGUMENT', 'firstSector must be a number or a bigint');
  }
  if (sector + BigInt(Math.max(count, 1)) - 1n > MAX_SECTOR) {
    throw new SectorCryptError('ERR_ARGUMENT', 'sector numbers must stay within 2^64-1');
  }
  return sector;
}

interface SectorJob {
  handle: XtsKeyHandle;
  src: Uint8Array;
  dst: Uint8Array;
  firstTweak: Uint8Array;
}

export class XtsCipher {
  readonly sectorSize: number;
  readonly ivSectorSize: number;
  private readonly tweakStep: number;
  private handle?: XtsKeyHandle;

  constructor(key: Uint8Array, opts: XtsOptions = {}) {
    checkOptionKeys(opts, ['sectorSize', 'ivSectorSize', 'backend', 'kernel'], 'XtsCipher options');
    checkKey(key);
    this.sectorSize = checkSize(opts.sectorSize, 'sectorSize', 4096);
    this.ivSectorSize = checkSize(opts.ivSectorSize, 'ivSectorSize', this.sectorSize);
    if (this.sectorSize % this.ivSectorSize !== 0) {
      throw new SectorCryptError('ERR_ARGUMENT', 'ivSectorSize must divide sectorSize');
    }
    this.tweakStep = this.sectorSize / this.ivSectorSize;
    this.handle = getBackend(opts.backend, opts.kernel).xtsKey(key);
  }

  private live(): XtsKeyHandle {
    if (!this.handle) throw new SectorCryptError('ERR_CLOSED', 'XtsCipher was destroyed');
    return this.handle;
  }

  /** Checks a sector call and works out its first tweak. */
  private sectorJob(data: unknown, firstSector: unknown, out: unknown): SectorJob {
    const handle = this.live();
    const src = checkBytes(data, 'data');
    // Every byte of a sector batch is written, so a result needs no zero fill.
    const dst = out === undefined ? newOutput(src.length) : outputView(out, src.length);
    if (src.length % this.sectorSize !== 0) {
      throw new SectorCryptError('ERR_SECTOR_ALIGNMENT', `data length must be a multiple of the sector size (${this.sectorSize})`);
    }
    const sector = checkSector(firstSector, src.length / this.sectorSize);
    const firstTweak = le128(sector * BigInt(this.tweakStep));
    return { handle, src: unalias(src, dst), dst, firstTweak };
  }

  private sectors(dir: Direction, data: Uint8Array, firstSector: number | bigint, out?: Uint8Array): Uint8Array {
    const { handle, src, dst, firstTweak } = this.sectorJob(data, firstSector, out);
    if (dst.length === 0) return dst;
    if (dir === 'encrypt') handle.encryptSectors(src, dst, this.sectorSize, firstTweak, this.tweakStep);
    else handle.decryptSectors(src, dst, this.sectorSize, firstTweak, this.tweakStep);
    return dst;
  }

  private async sectorsAsync(dir: Direction, data: Uint8Array, firstSector: number | bigint, out?: Uint8Array): Promise<Uint8Array> {
    const { handle, src, dst, firstTweak } = this.sectorJob(data, firstSector, out);
    if (dst.length === 0) return dst;
    if (dir === 'encrypt') await handle.encryptSectorsAsync(src, dst, this.sectorSize, firstTweak, this.tweakStep);
    else await handle.decryptSectorsAsync(src, dst, this.sectorSize, firstTweak, this.tweakStep);
    return dst;
  }

  private unit(dir: Direction, tweak: Uint8Array, data: Uint8Array, out?: Uint8Array): Uint8Array {
    const handle = this.live();
    if (!isBytes(tweak) || tweak.length !== 16) throw new SectorCryptError('ERR_ARGUMENT', 'tweak must be a Uint8Array of 16 bytes');
    const src = checkBytes(data, 'data');
    if (src.length < 16 || src.length > MAX_UNIT_BYTES) {
      throw new SectorCryptError('ERR_DATA_LENGTH', 'XTS data unit must be 16 bytes to 16 MiB long');
    }
    const dst = outputView(out, src.length);
    if (dir === 'encrypt') handle.encryptUnit(detach(tweak, dst), unalias(src, dst), dst);
    else handle.decryptUnit(detach(tweak, dst), unalias(src, dst), dst);
    return dst;
  }

  /** Encrypts whole sectors; sector i of `data` is number firstSector + i. */
  encryptSectors(data: Uint8Array, firstSector: number | bigint, out?: Uint8Array): Uint8Array {
    return this.sectors('encrypt', data, firstSector, out);
  }

  decryptSectors(data: Uint8Array, firstSector: number | bigint, out?: Uint8Array): Uint8Array {
    return this.sectors('decrypt', data, firstSector, out);
  }

  /** Like encryptSectors, off the event loop where the backend can. */
  encryptSectorsAsync(data: Uint8Array, firstSector: number | bigint, out?: Uint8Array): Promise<Uint8Array> {
    return this.sectorsAsync('encrypt', data, firstSector, out);
  }

  decryptSectorsAsync(data: Uint8Array, firstSector: number | bigint, out?: Uint8Array): Promise<Uint8Array> {
    return this.sectorsAsync('decrypt', data, firstSector, out);
  }

  /** One data unit (16 bytes or more) under a raw 16-byte tweak, with ciphertext stealing. */
  encrypt(tweak: Uint8Array, data: Uint8Array, out?: Uint8Array): Uint8Array {
    return this.unit('encrypt', tweak, data, out);
  }

  decrypt(tweak: Uint8Array, data: Uint8Array, out?: Uint8Array): Uint8Array {
    return this.unit('decrypt', tweak, data, out);
  }

  /** Wipes the key schedules; every later call throws ERR_ARGUMENT. */
  destroy(): void {
    this.handle?.destroy();
    this.handle = undefined;
  }
}
