/**
 * `sectorcrypt volume read` and `volume write`: a byte range of a volume out to a file or
 * stdout, and a file or stdin into the volume, with progress on stderr.
 */
import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Volume } from '../volume/index.js';
import { SectorCryptError } from '../errors.js';
import { fsError } from '../fs-errors.js';
import { createProgress, formatSummary, type Progress } from './progress.js';
import { isSameFile, openOutputFile, stdoutOutput } from './output.js';
import { openVolume, type OpenFlags } from './volume-open.js';

const CHUNK = 1024 * 1024;

export interface ReadFlags extends OpenFlags {
  offset: number;
  length?: number;
  out?: string;
}

export interface WriteFlags extends OpenFlags {
  offset: number;
  in?: string;
}

/** `length` bytes of the volume from `offset`, a chunk at a time. */
async function* rangeOf(vol: Volume, offset: number, length: number, progress: Progress): AsyncGenerator<Uint8Array> {
  for (let done = 0; done < length;) {
    const n = Math.min(CHUNK, length - done);
    const data = await vol.read(offset + done, n);
    done += n;
    progress.update(done, length, 'read');
    yield data;
  }
}

export async function readVolume(f: ReadFlags, image: string): Promise<void> {
  // --force here also allows replacing --out; it never lets the output be the image itself.
  const output = f.out ? await openOutputFile(f.out, { mode: 0o600, force: f.force === true, inputs: [image] }) : stdoutOutput();
  let vol: Volume;
  try {
    vol = await openVolume(image, { ...f, force: false }, true);
  } catch (err) {
    await output.discard();
    throw err;
  }
  const progress = createProgress();
  const started = Date.now();
  const length = f.length ?? Math.max(0, vol.size - f.offset);
  try {
    // pipeline: back-pressure, and a write error (a full disk) ends the run; stdout stays open.
    await pipeline(Readable.from(rangeOf(vol, f.offset, length, progress)), output.stream);
    await output.commit();
    progress.stop(formatSummary('read', length, (Date.now() - started) / 1000));
  } catch (err) {
    progress.stop();
    await output.discard();
    throw f.out ? fsError(err, f.out, 'write') : err;
  } finally {
    await vol.close();
  }
}

/** Copies the input into the volume from `offset`; the bytes written. */
async function copyInto(vol: Volume, f: WriteFlags, progress: Progress): Promise<number> {
  const input = f.in ? createReadStream(f.in, { highWaterMark: CHUNK }) : process.stdin;
  let done = 0;
  try {
    for await (const piece of input as AsyncIterable<Buffer>) {
      await vol.write(f.offset + done, piece);
      done += piece.length;
      progress.update(done, vol.size - f.offset, 'written');
    }
  } catch (err) {
    throw f.in ? fsError(err, f.in, 'read') : err;
  }
  return done;
}

export async function writeVolume(f: WriteFlags, image: string): Promise<void> {
  if (!f.in && f.passphraseFile === undefined && !f.keyFile) {
    throw new SectorCryptError('ERR_ARGUMENT', 'stdin carries the data: give --passphrase-file (or --in)');
  }
  if (f.in && isSameFile(f.in, image)) throw new SectorCryptError('ERR_ARGUMENT', `--in ${f.in} is the image itself`);
  const vol = await openVolume(image, f, false);
  const progress = createProgress();
  try {
    const done = await copyInto(vol, f, progress);
    await vol.flush();
    progress.stop();
    process.stderr.write(`wrote ${done} bytes at offset ${f.offset}\n`);
  } finally {
    progress.stop();
    await vol.close();
  }
}
