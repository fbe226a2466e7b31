/**
 * `sectorcrypt rekey -i F [-r KEY]... [-R F] [--remove INDEX]... IN -o OUT`: new recipients
 * for an envelope without re-encrypting its payload (indexes as `sectorcrypt inspect` lists).
 */
import type { Command } from 'commander';
import { SectorCryptError } from '../errors.js';
import { readRecipientsFile } from '../envelope/key-files.js';
import type { Recipient } from '../envelope/recipients.js';
import { forget, identitiesFrom, type EnvelopeKeyFlags } from './envelope-keys.js';
import { collect, integer, repeated } from './args.js';

interface RekeyFlags extends EnvelopeKeyFlags {
  remove?: number[];
  output: string;
}

export function registerRekey(program: Command): void {
  program
    .command('rekey')
    .description('add or remove envelope recipients; the payload bytes are copied unchanged')
    .argument('<in>', 'envelope file')
    .requiredOption('-o, --output <path>', 'where the rewrapped envelope goes (may be <in>: replaced once complete)')
    .option('-i, --identity <path>', 'an identity file that opens the envelope, repeatable', collect)
    .option('--passphrase-file <path>', 'a passphrase that opens the envelope (file of mode 0600)')
    .option('--kek-file <path>', 'a 32-byte KEK that opens the envelope (file of mode 0600)')
    .option('--kek-id <id>', 'the name of that KEK in the envelope')
    .option('-r, --recipient <public-key>', 'a recipient to add, repeatable', collect)
    .option('-R, --recipients-file <path>', 'a file of recipients to add, repeatable', collect)
    .option(
      '--remove <index>',
      'a stanza to remove, by its index in `sectorcrypt inspect`, repeatable',
      repeated(integer('--remove', { what: 'a stanza index' })),
    )
    .action(async (inName: string, flags: RekeyFlags) => {
      const identities = await identitiesFrom({
        identity: flags.identity,
        passphraseFile: flags.passphraseFile,
        kekFile: flags.kekFile,
        kekId: flags.kekId,
      });
      try {
        const add: Recipient[] = [...(flags.recipient ?? [])];
        for (const file of flags.recipientsFile ?? []) add.push(...(await readRecipientsFile(file)));
        if (add.length === 0 && (flags.remove ?? []).length === 0)
          throw new SectorCryptError('ERR_ARGUMENT', 'nothing to do: give -r, -R or --remove');
        const { rekeyEnvelope } = await import('../envelope/rekey.js'); // HPKE loads only when used
        await rekeyEnvelope(inName, { identities, add, remove: flags.remove ?? [], output: flags.output });
      } finally {
        forget(identities);
      }
    });
}
