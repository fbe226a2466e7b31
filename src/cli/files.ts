/**
 * File plumbing for the encrypt/decrypt commands: the key file and the input end (a path or
 * stdin). Output files, with their overwrite rules, are in output.ts.
 */
import { createReadStream, fstatSync } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import type { Readable, Writable } from 'node:stream';
import { SectorCryptError } from '../errors.js';
import { withFsErrors } from '../fs-errors.js';

/**
 * A raw key file of exactly 16 or 32 bytes. Reads at most 33 bytes, so a wrong file (or a
 * pipe, as in --key-file <(...)) is refused without being read whole.
 */
export async function readKeyFile(file: string): Promise<Uint8Array> {
  const handle = await withFsErrors(file, 'open key file', () => open(file, 'r'));
  const buffer = Buffer.alloc(33);
  let length = 0;
  try {
    for (let n = -1; n !== 0 && length < buffer.length; length += n) {
      ({ bytesRead: n } = await withFsErrors(file, 'read key file', () => handle.read(buffer, length, buffer.length - length, null)));
    }
  } finally {
    await handle.close();
  }
  if (length !== 16 && length !== 32) {
    buffer.fill(0);
    const holds = length > 32 ? 'more' : `${length}`;
    throw new SectorCryptError(
      'ERR_KEY_LENGTH',
      `key file ${file} must hold exactly 16 or 32 raw bytes (see sectorcrypt keygen), it holds ${holds}`,
    );
  }
  return buffer.subarray(0, length);
}

export interface Input {
  stream: Readable;
  /** Bytes to expect, when known (a file). */
  size?: number;
}

export function isStdio(name: string | undefined): boolean {
  return name === undefined || name === '-';
}

export async function openInput(name: string | undefined): Promise<Input> {
  if (isStdio(name)) {
    const info = fstatSync(0);
    return { stream: process.stdin, size: info.isFile() ? info.size : undefined };
  }
  const info = await withFsErrors(name!, 'open', () => stat(name!));
  if (info.isDirectory()) throw new SectorCryptError('ERR_ARGUMENT', `input ${name} is a directory`);
  return { stream: createReadStream(name!, { highWaterMark: 1024 * 1024 }), size: info.isFile() ? info.size : undefined };
}

/** Writes `data` and waits until the stream took it. */
export function writeAll(stream: Writable, data: Uint8Array): Promise<void> {
  return new Promise((resolve, reject) => stream.write(data, (err) => (err ? reject(err) : resolve())));
}
