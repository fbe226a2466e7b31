/** What `sectorcrypt encrypt` and `sectorcrypt decrypt` share: options, plumbing, progress. */
import type { Command } from 'commander';
import { Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ChunkedOptions } from '../chunked/params.js';
import { SectorCryptError } from '../errors.js';
import { fsError, osCode } from '../fs-errors.js';
import { BYTES_FORMAT, createProgress, formatSummary } from './progress.js';
import { isStdio, openInput, readKeyFile, type Input } from './files.js';
import { openCommandOutput } from './output.js';

interface Flags {
  keyFile: string;
  context?: string;
  force?: boolean;
}

type MakeStream = (key: Uint8Array, opts: ChunkedOptions) => Transform;

export interface ChunkedCommand {
  name: 'encrypt' | 'decrypt';
  description: string;
  make: MakeStream;
  /** Permission bits of a new output file. */
  outputMode: number;
  /** Refuse to write the output to a terminal (ciphertext would garble it). */
  binaryOutput: boolean;
}

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

async function run(cmd: ChunkedCommand, flags: Flags, inName?: string, outName?: string): Promise<void> {
  // Every refusal comes before the key is read or a byte is written.
  const output = await openCommandOutput(outName, {
    mode: cmd.outputMode,
    force: flags.force === true,
    inputs: [isStdio(inName) ? '/dev/stdin' : inName, flags.keyFile],
    binary: cmd.binaryOutput,
    what: `${cmd.name}ed data`,
  });
  let cipher: Transform;
  let input: Input;
  try {
    const key = await readKeyFile(flags.keyFile);
    try {
      cipher = cmd.make(key, flags.context === undefined ? {} : { context: flags.context });
    } finally {
      key.fill(0);
    }
    try {
      input = await openInput(inName);
    } catch (err) {
      cipher.destroy(); // wipes its keys
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
      await pipeline(input.stream, count, cipher, output.stream);
    } else {
      await pipeline(input.stream, cipher, output.stream);
    }
    await output.commit();
  } catch (err) {
    progress.stop();
    await output.discard();
    throw pipelineError(err, inName, outName);
  }
  progress.stop(formatSummary(`${cmd.name}ed`, done, (Date.now() - started) / 1000));
}

export function registerChunkedCommand(program: Command, cmd: ChunkedCommand): void {
  program
    .command(cmd.name)
    .description(cmd.description)
    .argument('[in]', 'input file (default or "-": stdin)')
    .argument('[out]', 'output file (default or "-": stdout); an existing non-empty file needs --force')
    .requiredOption('--key-file <path>', 'raw key of 16 or 32 bytes (sectorcrypt keygen)')
    .option('--context <text>', 'context bound into the key derivation (UTF-8)')
    .option('--force', 'replace an existing output file (never the input itself)')
    .action((inName: string | undefined, outName: string | undefined, flags: Flags) => run(cmd, flags, inName, outName));
}
