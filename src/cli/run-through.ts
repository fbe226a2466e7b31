/**
 * The input-to-output run `sectorcrypt encrypt` and `decrypt` share in both their modes (raw
 * Cobblestone in chunked-command.ts, the envelope in envelope-command.ts): the output's
 * safety rules (output.ts), the cipher stream in between, progress and the errors named after
 * the user's files.
 */
import { Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ChunkedOptions } from '../chunked/params.js';
import { SectorCryptError } from '../errors.js';
import { fsError, osCode } from '../fs-errors.js';
import { BYTES_FORMAT, createProgress, formatSummary } from './progress.js';
import { isStdio, openInput, type Input } from './files.js';
import { openCommandOutput } from './output.js';

export type MakeStream = (key: Uint8Array, opts: ChunkedOptions) => Transform;

export interface ChunkedCommand {
  name: 'encrypt' | 'decrypt';
  description: string;
  make: MakeStream;
  /** Permission bits of a new output file. */
  outputMode: number;
  /** Refuse to write the output to a terminal (ciphertext would garble it). */
  binaryOutput: boolean;
}

/**
 * Makes the cipher stream, after every refusal about the output has passed; `release`
 * (optional) forgets what secrets the stream still needs once the run has ended.
 */
export type CipherFactory = () => Promise<{ stream: Transform; release?: () => void }>;

/** Counts bytes on their way through, for the progress bar. */
function counter(onBytes: (n: number) => void): Transform {
  return new Transform({
    transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback) {
      onBytes(chunk.length);
      callback(null, chunk);
    },
  });
}

/** An OS error from the pipeline, named after the user's file (never the temporary one). */
function pipelineError(err: unknown, inName: string | undefined, outName: string | undefined): unknown {
  if (err instanceof SectorCryptError || osCode(err) === undefined) return err;
  const reading = (err as { syscall?: string }).syscall === 'read';
  const name = reading ? inName : outName;
  return fsError(err, isStdio(name) ? (reading ? 'stdin' : 'stdout') : name!, reading ? 'read' : 'write');
}

/**
 * Input through the cipher into the output. `secretFiles` are the key, identity and
 * passphrase files of the run: like the input, none of them may be the output.
 */
export async function runThrough(
  cmd: ChunkedCommand,
  opts: { force: boolean; secretFiles: (string | undefined)[] },
  makeCipher: CipherFactory,
  inName?: string,
  outName?: string,
): Promise<void> {
  // Every refusal comes before a key is read or a byte is written.
  const output = await openCommandOutput(outName, {
    mode: cmd.outputMode,
    force: opts.force,
    inputs: [isStdio(inName) ? '/dev/stdin' : inName, ...opts.secretFiles],
    binary: cmd.binaryOutput,
    what: `${cmd.name}ed data`,
  });
  let cipher: { stream: Transform; release?: () => void };
  let input: Input;
  try {
    cipher = await makeCipher();
    try {
      input = await openInput(inName);
    } catch (err) {
      cipher.stream.destroy(); // wipes its keys
      cipher.release?.();
      throw err;
    }
  } catch (err) {
    await output.discard();
    throw err;
  }
  const progress = createProgress(BYTES_FORMAT);
  const started = Date.now();
  let done = 0;
  const size = input.size;
  try {
    if (process.stderr.isTTY) {
      const count = counter((n) => {
        done += n;
        if (size !== undefined) progress.update(done, size);
      });
      await pipeline(input.stream, count, cipher.stream, output.stream);
    } else {
      await pipeline(input.stream, cipher.stream, output.stream);
    }
    await output.commit();
  } catch (err) {
    progress.stop();
    await output.discard();
    throw pipelineError(err, inName, outName);
  } finally {
    cipher.release?.();
  }
  progress.stop(formatSummary(`${cmd.name}ed`, done, (Date.now() - started) / 1000));
}
