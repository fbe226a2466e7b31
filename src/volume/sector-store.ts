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

/** Bytes per piece of a large read or write (a multiple of every sector size), and pieces in flight. */
const PIECE = 4 * 1024 * 1024;
const WINDOW = 2;

/** [offset, length] pieces covering `total` bytes. */
function splitPieces(total: number): [number, number][] {
  const out: [number, number][] = [];
  for (let at = 0; at < total; at += PIECE) out.push([at, Math.min(PIECE, total - at)]);
  return out;
}

export interface StoreLayout {
  /** Byte offset of sector 0 in the file. */
  offset: number;
  sectorSize: number;
  /** Data bytes, whole sectors. */
  size: number;
  /** The cipher's sector number of sector 0 (dm-crypt's iv_offset in cipher units). */
  firstSector: bigint;
}

/** A buffer the caller fills completely before anyone sees it (reads throw rather than leave gaps). */
function uninitialized(length: number): Uint8Array {
  const b = Buffer.allocUnsafeSlow(length);
  return new Uint8Array(b.buffer, b.byteOffset, b.length);
}

function checkRange(position: unknown, length: unknown, size: number): void {
  if (typeof position !== 'number' || !Number.isSafeInteger(position) || position < 0) {
    throw new SectorCryptError('ERR_ARGUMENT', 'position must be a non-negative integer');
  }
  if (typeof length !== 'number' || !Number.isSafeInteger(length) || length < 0) {
    throw new SectorCryptError('ERR_ARGUMENT', 'length must be a non-negative integer');
  }
  if (position + length > size) {
    throw new SectorCryptError(
      'ERR_OUT_OF_RANGE',
      `range ${position}..${position + length} goes past the end of the volume (${size} bytes)`,
    );
  }
}

/** I/O buffers kept for reuse: fresh memory costs a page fault per 4 KiB on first touch. */
const SPARE_BUFFERS = 4;

export class SectorStore {
  private readonly lock = new RangeLock();
  /** Buffers whose read or write finished; they hold ciphertext only. */
  private readonly spare: Uint8Array[] = [];

  constructor(
    private readonly file: ImageFile,
    private readonly cipher: XtsCipher,
    readonly layout: StoreLayout,
  ) {}

  private sectorOf(index: number): bigint {
    return this.layout.firstSector + BigInt(index);
  }

  /**
   * Reads and decrypts sectors [first, first + count) into `into`. Large runs go in pieces
   * with several file reads in flight, each piece decrypted as soon as it lands, so the
   * copy out of the file and the decryption overlap.
   */
  private async load(first: number, count: number, into: Uint8Array): Promise<void> {
    const { offset, sectorSize } = this.layout;
    const base = offset + first * sectorSize;
    const pieces = splitPieces(count * sectorSize);
    const reads: Promise<Uint8Array>[] = [];
    const start = (i: number) => {
      const [at, len] = pieces[i];
      const p = this.file.read(base + at, len, into.subarray(at, at + len));
      p.catch(() => {}); // awaited below, in order; this only keeps later failures handled
      reads.push(p);
    };
    for (let i = 0; i < Math.min(WINDOW, pieces.length); i++) start(i);
    for (let i = 0; i < pieces.length; i++) {
      await reads[i];
      if (i + WINDOW < pieces.length) start(i + WINDOW);
      const [at, len] = pieces[i];
      const piece = into.subarray(at, at + len);
      await this.cipher.decryptSectorsAsync(piece, this.sectorOf(first + at / sectorSize), piece);
    }
  }

  /**
   * Encrypts `src` (sectors from `first`) into `dst` and writes it, piece by piece, so
   * file writes overlap encryption. `src` may be `dst`; the caller's data is never changed.
   */
  private async store(first: number, src: Uint8Array, dst: Uint8Array): Promise<void> {
    const { offset, sectorSize } = this.layout;
    const base = offset + first * sectorSize;
    const writes: Promise<void>[] = [];
    try {
      for (const [at, len] of splitPieces(dst.length)) {
        const piece = dst.subarray(at, at + len);
        await this.cipher.encryptSectorsAsync(src.subarray(at, at + len), this.sectorOf(first + at / sectorSize), piece);
        const w = this.file.write(base + at, piece);
        w.catch(() => {});
        writes.push(w);
        if (writes.length > WINDOW) await writes[writes.length - 1 - WINDOW];
      }
    } finally {
      // Every write must be settled before the range is released.
      await Promise.allSettled(writes);
    }
    await Promise.all(writes);
  }

  /** Reads `length` bytes at `position`; into `out` (at least `length` bytes) when given. */
  async read(position: number, length: number, out?: Uint8Array): Promise<Uint8Array> {
    checkRange(position, length, this.layout.size);
    if (out !== undefined && (checkBytes(out, 'out'), out.length < length)) {
      throw new SectorCryptError('ERR_ARGUMENT', `out must hold at least ${length} bytes, it has ${out.length}`);
    }
    if (length === 0) return out ? out.subarray(0, 0) : new Uint8Array(0);
    const ss = this.layout.sectorSize;
    const first = Math.floor(position / ss);
    const end = Math.ceil((position + length) / ss);
    const skip = position - first * ss;
    const aligned = skip === 0 && length === (end - first) * ss;
    const release = await this.lock.acquire(first, end, false);
    try {
      if (aligned && !out && length <= PIECE) return await this.loadFresh(first, length);
      // Aligned reads decrypt straight into `out`; others go through a scratch buffer.
      const buf = aligned && out ? out.subarray(0, length) : uninitialized((end - first) * ss);
      await this.load(first, end - first, buf);
      if (aligned) return buf;
      const result = buf.subarray(skip, skip + length);
      if (!out) return result;
      out.set(result);
      return out.subarray(0, length);
    } finally {
      release();
    }
  }

  /**
   * An aligned read of one piece into a new result: the ciphertext lands in a reused
   * buffer and the cipher writes the plaintext into a new result (src/output.ts), so the
   * result never holds ciphertext and the file read never touches fresh memory.
   */
  private async loadFresh(first: number, length: number): Promise<Uint8Array> {
    const { offset, sectorSize } = this.layout;
    const ciphertext = this.takeBuffer(length);
    try {
      await this.file.read(offset + first * sectorSize, length, ciphertext);
      return await this.cipher.decryptSectorsAsync(ciphertext, this.sectorOf(first));
    } finally {
      this.returnBuffer(ciphertext, true); // it held ciphertext only
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
    const buf = this.takeBuffer((end - first) * ss);
    let stored = false;
    try {
      const skip = position - first * ss;
      const tail = end * ss - (position + data.length);
      if (skip === 0 && tail === 0) {
        await this.store(first, data, buf);
        stored = true;
        return;
      }
      // Partial first and last sectors keep the bytes around the write.
      if (skip !== 0) await this.load(first, 1, buf.subarray(0, ss));
      if (tail !== 0 && (end - 1 > first || skip === 0)) await this.load(end - 1, 1, buf.subarray(buf.length - ss));
      buf.set(data, skip);
      await this.store(first, buf, buf);
      stored = true;
    } finally {
      release();
      this.returnBuffer(buf, stored);
    }
  }

  private takeBuffer(length: number): Uint8Array {
    const i = this.spare.findIndex((b) => b.length === length);
    return i >= 0 ? this.spare.splice(i, 1)[0] : uninitialized(length);
  }

  /**
   * Keeps a few buffers of the sizes in use. After a stored write a buffer holds ciphertext
   * only; after a failed one it may hold plaintext, so it is wiped and dropped.
   */
  private returnBuffer(buf: Uint8Array, stored: boolean): void {
    if (!stored) buf.fill(0);
    else if (this.spare.length < SPARE_BUFFERS && buf.length <= PIECE) this.spare.push(buf);
  }

  /** Waits for running reads and writes, then syncs the file (when `sync`). */
  async flush(sync = true): Promise<void> {
    const release = await this.lock.acquire(0, Number.MAX_SAFE_INTEGER, true);
    try {
      if (sync) await this.file.sync();
    } finally {
      release();
    }
  }
}
