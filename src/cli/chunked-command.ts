/**
 * What `sectorcrypt encrypt` and `sectorcrypt decrypt` share: options, the input-to-output
 * plumbing with its safety rules (output.ts), progress. Two modes use it: raw Cobblestone
 * (`--key-file`) here, and the envelope (envelope-command.ts, loaded only when its flags are
 * given), which hands its own cipher stream to the same `runThrough`.
 */
import type { Command } from 'commander';
import { Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ChunkedOptions } from '../chunked/params.js';
import { SectorCryptError } from '../errors.js';
import { fsError, osCode } from '../fs-errors.js';
import { BYTES_FORMAT, createProgress, formatSummary } from './progress.js';
import { isStdio, openInput, readKeyFile, type Input } from './files.js';
import { openCommandOutput } from './output.js';
import { addEnvelopeOptions, wantsEnvelope, type EnvelopeFlags } from './envelope-options.js';

interface Flags extends EnvelopeFlags {
  keyFile?: string;
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

/** Raw Cobblestone: one 16- or 32-byte key from --key-file. */
function runRaw(cmd: ChunkedCommand, flags: Flags, inName?: string, outName?: string): Promise<void> {
  const keyFile = flags.keyFile;
  if (keyFile === undefined) {
    throw new SectorCryptError('ERR_ARGUMENT', 'give --key-file (raw Cobblestone) or envelope recipients or identities (-r, -R, -i, --passphrase-file, --kek-file)');
  }
  const makeCipher: CipherFactory = async () => {
    const key = await readKeyFile(keyFile);
    try {
      return { stream: cmd.make(key, flags.context === undefined ? {} : { context: flags.context }) };
    } finally {
      key.fill(0);
    }
  };
  return runThrough(cmd, { force: flags.force === true, secretFiles: [keyFile] }, makeCipher, inName, outName);
}

export function registerChunkedCommand(program: Command, cmd: ChunkedCommand): void {
  const command = program
    .command(cmd.name)
    .description(cmd.description)
    .argument('[in]', 'input file (default or "-": stdin)')
    .argument('[out]', 'output file (default or "-": stdout); an existing non-empty file needs --force')
    .option('--key-file <path>', 'raw Cobblestone mode: a raw key of 16 or 32 bytes (sectorcrypt keygen)')
    .option('--context <text>', 'raw Cobblestone mode: context bound into the key derivation (UTF-8)')
    .option('--force', 'replace an existing output file (never the input itself)');
  // The envelope mode (recipients and identities) shares the command; its flags pick it.
  addEnvelopeOptions(command, cmd.name);
  command.action(async (inName: string | undefined, outName: string | undefined, flags: Flags) => {
    if (outName !== undefined && flags.output !== undefined) {
      throw new SectorCryptError('ERR_ARGUMENT', 'give the output once: as -o or as the second argument');
    }
    const out = outName ?? flags.output;
    if (!wantsEnvelope(flags)) return runRaw(cmd, flags, inName, out);
    const { runEnvelope } = await import('./envelope-command.js');
    return runEnvelope(cmd, flags, inName, out);
  });
}
