/**
 * The envelope flags of `encrypt` and `decrypt`, and which mode they pick. Kept apart from
 * envelope-command.ts so that commands that do not use the envelope never load HPKE.
 */
import type { Command } from 'commander';
import { SectorCryptError } from '../errors.js';
import type { EnvelopeKeyFlags } from './envelope-keys.js';

export interface EnvelopeFlags extends EnvelopeKeyFlags {
  output?: string;
  keyFile?: string;
  context?: string;
}

export type Direction = 'encrypt' | 'decrypt';

/** commander's collector for repeatable options. */
export function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

export function addEnvelopeOptions(cmd: Command, direction: Direction): void {
  if (direction === 'encrypt') {
    cmd
      .option('-r, --recipient <public-key>', 'envelope: a recipient public key (scx1... or scpq1...), repeatable', collect)
      .option('-R, --recipients-file <path>', 'envelope: a file of recipient public keys, one a line, repeatable', collect);
  } else {
    cmd.option('-i, --identity <path>', 'envelope: an identity file (sectorcrypt keygen --x25519 | --pq), repeatable', collect);
  }
  cmd
    .option('--passphrase-file <path>', 'envelope: a passphrase (argon2id), from a file of mode 0600; one final newline is dropped')
    .option('--kek-file <path>', 'envelope: a 32-byte key-encryption key (aes256-kw), from a file of mode 0600')
    .option('--kek-id <id>', 'envelope: the name of the KEK written in the envelope (needed to encrypt)')
    .option('-o, --output <path>', 'output file (instead of the second argument)');
}

/** True when the flags pick the envelope; ERR_ARGUMENT when they mix it with --key-file. */
export function wantsEnvelope(flags: EnvelopeFlags): boolean {
  const envelope = [flags.recipient, flags.recipientsFile, flags.identity, flags.passphraseFile, flags.kekFile, flags.kekId].some((v) => v !== undefined);
  if (envelope && (flags.keyFile !== undefined || flags.context !== undefined)) {
    throw new SectorCryptError('ERR_ARGUMENT', '--key-file and --context are the raw Cobblestone mode; they do not mix with envelope options');
  }
  return envelope;
}
