/**
 * The envelope flags of `encrypt` and `decrypt`, and which mode they pick. Kept apart from
 * envelope-command.ts so that commands that do not use the envelope never load HPKE.
 */
import type { Command } from 'commander';
import { SectorCryptError } from '../errors.js';
import type { EnvelopeKeyFlags } from './envelope-keys.js';
import { collect, integer } from './args.js';

export interface EnvelopeFlags extends EnvelopeKeyFlags {
  output?: string;
  keyFile?: string;
  context?: string;
}

export type Direction = 'encrypt' | 'decrypt';

export function addEnvelopeOptions(cmd: Command, direction: Direction): void {
  if (direction === 'encrypt') {
    cmd
      .option('-r, --recipient <public-key>', 'envelope: a recipient public key (scx1... or scpq1...), repeatable', collect)
      .option(
        '-R, --recipients-file <path>',
        'envelope: a file of recipient public keys, one a line, or broker:URL/KEYID (a key of that broker), repeatable',
        collect,
      )
      .option('--broker-key <key-id>', 'envelope: a key broker key as a recipient (its public key is fetched from --broker)')
      .option('--broker <url>', 'the key broker, https://... (or SECTORCRYPT_BROKER_URL)')
      .option('--ca <file>', "the key broker's CA certificate (or SECTORCRYPT_BROKER_CA); repeatable: one per broker, in order", collect)
      .option(
        '--broker-token <token>',
        'an API token of the tenant (or SECTORCRYPT_BROKER_TOKEN); repeatable: one per broker, in order',
        collect,
      )
      .option(
        '--threshold <k>',
        'envelope: every recipient becomes a member of one threshold group; any k of them open it',
        integer('--threshold', { min: 1, max: 255 }),
      );
  } else {
    cmd
      .option('-i, --identity <path>', 'envelope: an identity file (sectorcrypt keygen --x25519 | --pq), repeatable', collect)
      .option(
        '--agent <state-dir>',
        'envelope: open broker stanzas through this enrolled agent (sectorcrypt agent enroll); repeatable: one per broker',
        collect,
      )
      .option('--claims <file>', 'with --agent: a claims config (default: every built-in collector)')
      .option('--wait', 'with --agent: when the release needs approval, wait for it (without: ERR_PENDING and the request id)')
      .option('--timeout <seconds>', 'with --wait: give up waiting after this long (default 900)');
  }
  cmd
    .option('--passphrase-file <path>', 'envelope: a passphrase (argon2id), from a file of mode 0600; one final newline is dropped')
    .option('--kek-file <path>', 'envelope: a 32-byte key-encryption key (aes256-kw), from a file of mode 0600')
    .option('--kek-id <id>', 'envelope: the name of the KEK written in the envelope (needed to encrypt)')
    .option('-o, --output <path>', 'output file (instead of the second argument)');
}

/** True when the flags pick the envelope; ERR_ARGUMENT when they mix it with --key-file. */
export function wantsEnvelope(flags: EnvelopeFlags): boolean {
  const envelope = [
    flags.recipient,
    flags.recipientsFile,
    flags.identity,
    flags.passphraseFile,
    flags.kekFile,
    flags.kekId,
    flags.brokerKey,
    flags.threshold,
    flags.agent,
    flags.wait,
    flags.timeout,
  ].some((v) => v !== undefined);
  if (envelope && (flags.keyFile !== undefined || flags.context !== undefined)) {
    throw new SectorCryptError(
      'ERR_ARGUMENT',
      '--key-file and --context are the raw Cobblestone mode; they do not mix with envelope options',
    );
  }
  return envelope;
}
