/**
 * File plumbing for the encrypt/decrypt commands: the key file, input and output ends
 * (a path or stdin/stdout), and an output file that appears only when complete.
 */
import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { open, rename, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import { fstatSync } from 'node:fs';
import type { Readable, Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { SectorCryptError } from '../errors.js';

/**
 * A raw key file of exactly 16 or 32 bytes. Reads at most 33 bytes, so a wrong file (or a
 * pipe, as in --key-file <(...)) is refused without being read whole.
 */
export async function readKeyFile(file: string): Promise<Uint8Array> {
  const handle = await open(file, 'r');
  const buffer = Buffer.alloc(33);
  let length = 0;
  try {
    for (let n = -1; n !== 0 && length < buffer.length; length += n) {
      ({ bytesRead: n } = await handle.read(buffer, length, buffer.length - length, null));
    }
  } finally {
    await handle.close();
  }
  if (length !== 16 && length !== 32) {
    buffer.fill(0);
    const holds = length > 32 ? 'more' : `${length}`;
    throw new SectorCryptError('ERR_KEY_LENGTH', `key file ${file} must hold exactly 16 or 32 raw bytes (see sectorcrypt keygen), it holds ${holds}`);
  }
  return buffer.subarray(0, length);
}

export interface Input {
  stream: Readable;
  /** Bytes to expect, when known (a file). */
  size?: number;
}

function isStdio(name: string | undefined): boolean {
  return name === undefined || name === '-';
}

export async function openInput(name: string | undefined): Promise<Input> {
  if (isStdio(name)) {
    const info = fstatSync(0);
    return { stream: process.stdin, size: info.isFile() ? info.size : undefined };
  }
  const { size } = await stat(name!);
  return { stream: createReadStream(name!, { highWaterMark: 1024 * 1024 }), size };
}

export interface Output {
  stream: Writable;
  /** Makes the output final (renames the temporary file into place). */
  commit(): Promise<void>;
  /** Removes what was written (the temporary file). */
  discard(): Promise<void>;
}

/**
 * stdout, or a temporary file beside `name` that commit() renames over it, so a failed
 * run never leaves a half-written file under the target name.
 */
export function openOutput(name: string | undefined, mode: number): Output {
  if (isStdio(name)) {
    return { stream: process.stdout, commit: async () => {}, discard: async () => {} };
  }
  const target = path.resolve(name!);
  const temp = path.join(path.dirname(target), `.${path.basename(target)}.${randomBytes(6).toString('hex')}.tmp`);
  const stream = createWriteStream(temp, { flags: 'wx', mode });
  return {
    stream,
    async commit() {
      const file = await open(temp, 'r+');
      try {
        await file.sync();
      } finally {
        await file.close();
      }
      await rename(temp, target);
    },
    async discard() {
      stream.destroy();
      await finished(stream).catch(() => {});
      await unlink(temp).catch(() => {});
    },
  };
}

/** Writes `data` and waits until the stream took it. */
export function writeAll(stream: Writable, data: Uint8Array): Promise<void> {
  return new Promise((resolve, reject) => stream.write(data, (err) => (err ? reject(err) : resolve())));
}
