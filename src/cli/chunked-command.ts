/**
 * `sectorcrypt encrypt` and `sectorcrypt decrypt`: their options, and which mode runs. Raw
 * Cobblestone (`--key-file`) runs here; the envelope (envelope-command.ts, loaded only when
 * its flags are given) hands its own cipher stream to the same `runThrough` (run-through.ts).
 */
import type { Command } from 'commander';
import { SectorCryptError } from '../errors.js';
import { readKeyFile } from './files.js';
import { runThrough, type ChunkedCommand, type CipherFactory } from './run-through.js';
import { addEnvelopeOptions, wantsEnvelope, type EnvelopeFlags } from './envelope-options.js';

interface Flags extends EnvelopeFlags {
  keyFile?: string;
  context?: string;
  force?: boolean;
}

/** Raw Cobblestone: one 16- or 32-byte key from --key-file. */
function runRaw(cmd: ChunkedCommand, flags: Flags, inName?: string, outName?: string): Promise<void> {
  const keyFile = flags.keyFile;
  if (keyFile === undefined) {
    throw new SectorCryptError(
      'ERR_ARGUMENT',
      'give --key-file (raw Cobblestone) or envelope recipients or identities (-r, -R, -i, --passphrase-file, --kek-file)',
    );
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
