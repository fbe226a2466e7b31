/** Random-access bytes for the reader: a file (by path) or a Uint8Array in memory. */
import { open } from 'node:fs/promises';
import { SectorCryptError } from '../errors.js';
import { withFsErrors } from '../fs-errors.js';
import { isBytes } from '../bytes.js';

export interface Source {
  readonly size: number;
  /** Exactly `length` bytes from `position` (the caller keeps inside `size`). */
  read(position: number, length: number): Promise<Uint8Array>;
  close(): Promise<void>;
}

export async function openSource(source: unknown): Promise<Source> {
  if (isBytes(source)) {
    return { size: source.length, read: async (p, n) => source.subarray(p, p + n), close: async () => {} };
  }
  if (typeof source !== 'string') throw new SectorCryptError('ERR_ARGUMENT', 'source must be a file path or a Uint8Array');
  const file = await withFsErrors(source, 'open', () => open(source, 'r'));
  try {
    const stat = await file.stat();
    // A directory opens for reading on Linux; its read fails later with EISDIR.
    if (!stat.isFile()) throw new SectorCryptError('ERR_ARGUMENT', `${source} is not a regular file`);
    const { size } = stat;
    return {
      size,
      async read(position, length) {
        const out = Buffer.allocUnsafe(length);
        let done = 0;
        while (done < length) {
          const { bytesRead } = await withFsErrors(source, 'read', () => file.read(out, done, length - done, position + done));
          if (bytesRead === 0) throw new SectorCryptError('ERR_TRUNCATED', 'file became shorter while it was read');
          done += bytesRead;
        }
        return out;
      },
      close: () => file.close(),
    };
  } catch (err) {
    await file.close();
    throw err;
  }
}
