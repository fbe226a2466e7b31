/**
 * Byte-addressed reads and writes over an encrypted run of sectors: partial sectors are
 * read, decrypted, patched and re-encrypted whole; a range lock keeps each write atomic to
 * readers in this process and orders overlapping writes.
 */
import { SectorCryptError } from '../errors.js';
import { checkBytes } from '../bytes.js';
import type { XtsCipher } from '../xts.js';
import type { ImageFile } from './image-file.js';
import { RangeLock } from './range-lock.js';

export interface StoreLayout {
  /** Byte offset of sector 0 in the file. */
  offset: number;
  sectorSize: number;
  /** Data bytes, whole sectors. */
  size: number;
  /** The cipher's sector number of sector 0 (dm-crypt's iv_offset in cipher units). */
  firstSector: bigint;
}

function checkRange(position: unknown, length: unknown, size: number): void {
  if (typeof position !== 'number' || !Number.isSafeInteger(position) || position < 0) {
    throw new SectorCryptError('ERR_ARGUMENT', 'position must be a non-negative integer');
  }
  if (typeof length !== 'number' || !Number.isSafeInteger(length) || length < 0) {
    throw new SectorCryptError('ERR_ARGUMENT', 'length must be a non-negative integer');
  }
  if (position + length > size) {
    throw new SectorCryptError('ERR_OUT_OF_RANGE', `range ${position}..${position + length} goes past the end of the volume (${size} bytes)`);
  }
}

export class SectorStore {
  private readonly lock = new RangeLock();

  constructor(
    private readonly file: ImageFile,
    private readonly cipher: XtsCipher,
    readonly layout: StoreLayout,
  ) {}

  private sectorOf(index: number): bigint {
    return this.layout.firstSector + BigInt(index);
  }

  /** Reads and decrypts sectors [first, first + count) into `into`. */
  private async load(first: number, count: number, into: Uint8Array): Promise<void> {
    const { offset, sectorSize } = this.layout;
    await this.file.read(offset + first * sectorSize, count * sectorSize, into);
    await this.cipher.decryptSectorsAsync(into, this.sectorOf(first), into);
  }

  async read(position: number, length: number): Promise<Uint8Array> {
    checkRange(position, length, this.layout.size);
    if (length === 0) return new Uint8Array(0);
    const ss = this.layout.sectorSize;
    const first = Math.floor(position / ss);
    const end = Math.ceil((position + length) / ss);
    const release = await this.lock.acquire(first, end, false);
    try {
      const buf = new Uint8Array((end - first) * ss);
      await this.load(first, end - first, buf);
      const skip = position - first * ss;
      return skip === 0 && length === buf.length ? buf : buf.subarray(skip, skip + length);
    } finally {
      release();
    }
  }

  async write(position: number, data: Uint8Array): Promise<void> {
    checkBytes(data, 'data');
    checkRange(position, data.length, this.layout.size);
    if (!this.file.writable) throw new SectorCryptError('ERR_ARGUMENT', 'the volume was opened read-only');
    if (data.length === 0) return;
    const ss = this.layout.sectorSize;
    const first = Math.floor(position / ss);
    const end = Math.ceil((position + data.length) / ss);
    const release = await this.lock.acquire(first, end, true);
    try {
      const buf = new Uint8Array((end - first) * ss);
      const skip = position - first * ss;
      // Partial first and last sectors keep the bytes around the write.
      if (skip !== 0) await this.load(first, 1, buf.subarray(0, ss));
      const tail = end * ss - (position + data.length);
      if (tail !== 0 && (end - 1 > first || skip === 0)) await this.load(end - 1, 1, buf.subarray(buf.length - ss));
      buf.set(data, skip);
      await this.cipher.encryptSectorsAsync(buf, this.sectorOf(first), buf);
      await this.file.write(this.layout.offset + first * ss, buf);
    } finally {
      release();
    }
  }

  /** Waits for running reads and writes, then syncs the file. */
  async flush(): Promise<void> {
    const release = await this.lock.acquire(0, Number.MAX_SAFE_INTEGER, true);
    try {
      await this.file.sync();
    } finally {
      release();
    }
  }
}
