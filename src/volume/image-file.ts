/**
 * An image file or block device opened for positional I/O. Short reads are errors
 * (ERR_TRUNCATED), never zero-filled data.
 */
import { read, write } from 'node:fs';
import { open, readFile, type FileHandle } from 'node:fs/promises';
import { SectorCryptError } from '../errors.js';
import { fsError, osCode, withFsErrors } from '../fs-errors.js';

// The callback forms on the raw fd cost less per call than FileHandle's promise methods.
// `path` only names the image in an error (ERR_IO with the OS code).
function readAt(fd: number, buf: Uint8Array, offset: number, length: number, position: number, path: string): Promise<number> {
  return new Promise((resolve, reject) =>
    read(fd, buf, offset, length, position, (err, n) => (err ? reject(fsError(err, path, 'read')) : resolve(n))),
  );
}

function writeAt(fd: number, buf: Uint8Array, offset: number, length: number, position: number, path: string): Promise<number> {
  return new Promise((resolve, reject) =>
    write(fd, buf, offset, length, position, (err, n) => (err ? reject(fsError(err, path, 'write')) : resolve(n))),
  );
}

/** A block device's size from sysfs (st_size is 0 for devices and there is no lseek in fs). */
async function blockDeviceSize(rdev: number): Promise<number> {
  const major = Math.floor(rdev / 256) & 0xfff;
  const minor = (rdev & 0xff) | ((Math.floor(rdev / 1048576) & 0xfff) << 8);
  const sectors = await readFile(`/sys/dev/block/${major}:${minor}/size`, 'utf8');
  return Number(sectors.trim()) * 512;
}

export class ImageFile {
  private constructor(
    private readonly fh: FileHandle,
    public size: number,
    readonly isBlockDevice: boolean,
    readonly writable: boolean,
    /** The name the caller gave, for error messages. */
    readonly path: string,
  ) {}

  /** Opens an existing file or device. */
  static async open(path: string, mode: { writable: boolean }): Promise<ImageFile> {
    const fh = await withFsErrors(path, 'open', () => open(path, mode.writable ? 'r+' : 'r'));
    return ImageFile.wrap(fh, path, mode.writable);
  }

  /**
   * Opens `path` to write a new volume onto: a missing file is created (`created` true, so a
   * failed create can remove it again); an existing empty file is taken as it is; anything
   * holding data (a non-empty file, a block device) is ERR_EXISTS unless `overwrite`.
   */
  static async create(path: string, overwrite: boolean): Promise<{ file: ImageFile; created: boolean }> {
    try {
      const fh = await open(path, 'wx+', 0o600);
      return { file: await ImageFile.wrap(fh, path, true), created: true };
    } catch (err) {
      if (osCode(err) !== 'EEXIST') throw fsError(err, path, 'create');
    }
    const file = await ImageFile.open(path, { writable: true });
    if ((file.size > 0 || file.isBlockDevice) && !overwrite) {
      await file.close();
      const what = file.isBlockDevice ? 'a block device' : `${file.size} bytes`;
      throw new SectorCryptError('ERR_EXISTS', `${path} already holds data (${what}); pass overwrite (CLI: --force) to replace it`);
    }
    return { file, created: false };
  }

  private static async wrap(fh: FileHandle, path: string, writable: boolean): Promise<ImageFile> {
    try {
      const st = await fh.stat();
      const isBlockDevice = st.isBlockDevice();
      if (!isBlockDevice && !st.isFile()) throw new SectorCryptError('ERR_ARGUMENT', `${path} is not a regular file or a block device`);
      const size = isBlockDevice ? await blockDeviceSize(st.rdev) : st.size;
      return new ImageFile(fh, size, isBlockDevice, writable, path);
    } catch (err) {
      await fh.close();
      throw fsError(err, path, 'open');
    }
  }

  /** Reads exactly `length` bytes at `position` into `into` (or a new buffer). */
  async read(position: number, length: number, into?: Uint8Array): Promise<Uint8Array> {
    const buf = into ?? new Uint8Array(length);
    let done = 0;
    while (done < length) {
      const bytesRead = await readAt(this.fh.fd, buf, done, length - done, position + done, this.path);
      if (bytesRead === 0) {
        throw new SectorCryptError(
          'ERR_TRUNCATED',
          `image ends at byte ${position + done}, ${length - done} bytes short of what the format says is there`,
        );
      }
      done += bytesRead;
    }
    return buf;
  }

  async write(position: number, data: Uint8Array): Promise<void> {
    let done = 0;
    while (done < data.length) {
      const bytesWritten = await writeAt(this.fh.fd, data, done, data.length - done, position + done, this.path);
      done += bytesWritten;
    }
    if (!this.isBlockDevice && position + data.length > this.size) this.size = position + data.length;
  }

  /** Sets a regular file's length (block devices keep theirs). */
  async setLength(length: number): Promise<void> {
    if (this.isBlockDevice) return;
    await withFsErrors(this.path, `resize (to ${length} bytes)`, () => this.fh.truncate(length));
    this.size = length;
  }

  sync(): Promise<void> {
    return withFsErrors(this.path, 'sync', () => this.fh.sync());
  }

  close(): Promise<void> {
    return this.fh.close();
  }
}
