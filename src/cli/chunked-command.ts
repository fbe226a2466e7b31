/** What `sectorcrypt encrypt` and `sectorcrypt decrypt` share: options, plumbing, progress. */
import type { Command } from 'commander';
import { Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ChunkedOptions } from '../chunked/params.js';
import { createProgress } from './progress.js';
import { openInput, openOutput, readKeyFile, type Input } from './files.js';
import { SectorCryptError } from '../errors.js';
import { addEnvelopeOptions, wantsEnvelope, type Direction, type EnvelopeFlags } from './envelope-options.js';

interface Flags extends EnvelopeFlags {
  keyFile?: string;
  context?: string;
}

type MakeStream = (key: Uint8Array, opts: ChunkedOptions) => Transform;

/** Counts bytes on their way through, for the progress bar. */
function counter(onBytes: (n: number) => void): Transform {
  return new Transform({
    transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback) {
      onBytes(chunk.length);
      callback(null, chunk);
    },
  });
}

async function run(make: MakeStream, outputMode: number, flags: Flags, inName?: string, outName?: string): Promise<void> {
  if (flags.keyFile === undefined) throw new SectorCryptError('ERR_ARGUMENT', 'give --key-file (raw Cobblestone) or envelope recipients/identities (-r, -i, --passphrase-file, --kek-file)');
  const key = await readKeyFile(flags.keyFile);
  let cipher: Transform;
  try {
    cipher = make(key, flags.context === undefined ? {} : { context: flags.context });
  } finally {
    key.fill(0);
  }
  let input: Input;
  try {
    input = await openInput(inName);
  } catch (err) {
    cipher.destroy(); // wipes its keys
    throw err;
  }
  const output = openOutput(outName, outputMode);
  const progress = createProgress('{bar} {percentage}% | {value}/{total} bytes');
  let done = 0;
  const size = input.size;
  try {
    if (size !== undefined && process.stderr.isTTY) {
      await pipeline(input.stream, counter((n) => progress.update((done += n), size)), cipher, output.stream);
    } else {
      await pipeline(input.stream, cipher, output.stream);
    }
    await output.commit();
  } catch (err) {
    await output.discard();
    throw err;
  } finally {
    progress.stop();
  }
}

export function registerChunkedCommand(program: Command, name: Direction, description: string, make: MakeStream, outputMode: number): void {
  const command = program
    .command(name)
    .description(description)
    .argument('[in]', 'input file (default or "-": stdin)')
    .argument('[out]', 'output file (default or "-": stdout)')
    .option('--key-file <path>', 'raw Cobblestone mode: a raw key of 16 or 32 bytes (sectorcrypt keygen)')
    .option('--context <text>', 'raw Cobblestone mode: context bound into the key derivation (UTF-8)');
  // The envelope mode (recipients and identities) shares the command; its flags pick it.
  addEnvelopeOptions(command, name);
  command.action((inName: string | undefined, outName: string | undefined, flags: Flags) =>
    wantsEnvelope(flags)
      ? import('./envelope-command.js').then((m) => m.runEnvelope(name, flags, inName, outName))
      : run(make, outputMode, flags, inName, outName ?? flags.output),
  );
}
