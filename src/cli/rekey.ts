/**
 * `sectorcrypt rekey -i F [--agent DIR]... [-r KEY]... [-R F | -R broker:URL/KEYID]... [--remove INDEX]...
 * [--threshold K] IN -o OUT`: new recipients for an envelope without re-encrypting its payload
 * (indexes as `sectorcrypt inspect` lists); with --threshold, the recipients given form one new
 * threshold group in place of the envelope's groups (docs/envelope.md "Changing the group").
 */
import type { Command } from 'commander';
import { SectorCryptError } from '../errors.js';
import { forget, identitiesFrom, recipientsFrom, sealTargets, type EnvelopeKeyFlags } from './envelope-keys.js';
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
    .option('--agent <state-dir>', 'an enrolled agent that opens broker stanzas or members, repeatable: one per broker', collect)
    .option('--claims <file>', 'with --agent: a claims config (default: every built-in collector)')
    .option('--wait', 'with --agent: when a release needs approval, wait for it')
    .option('--timeout <seconds>', 'with --wait: give up waiting after this long (default 900)')
    .option('-r, --recipient <public-key>', 'a recipient to add, repeatable', collect)
    .option('-R, --recipients-file <path>', 'a file of recipients to add, or broker:URL/KEYID, repeatable', collect)
    .option('--ca <file>', "a broker's CA certificate for -R broker:..., repeatable: one per broker, in order", collect)
    .option('--broker-token <token>', 'an API token for -R broker:..., repeatable: one per broker, in order', collect)
    .option(
      '--threshold <k>',
      'the recipients given (-r, -R) form one new threshold group, any k of them opening it, in place of every group the envelope has',
      integer('--threshold', { min: 1, max: 255 }),
    )
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
        agent: flags.agent,
        claims: flags.claims,
        wait: flags.wait,
        timeout: flags.timeout,
      });
      try {
        const add = await recipientsFrom(
          { recipient: flags.recipient, recipientsFile: flags.recipientsFile, ca: flags.ca, brokerToken: flags.brokerToken },
          false,
        );
        if (add.length === 0 && (flags.remove ?? []).length === 0)
          throw new SectorCryptError('ERR_ARGUMENT', 'nothing to do: give -r, -R or --remove');
        const targets = sealTargets(add, flags.threshold);
        const { rekeyEnvelope } = await import('../envelope/rekey.js'); // HPKE loads only when used
        await rekeyEnvelope(inName, {
          identities,
          add: targets.recipients ?? [],
          threshold: targets.threshold,
          remove: flags.remove ?? [],
          output: flags.output,
        });
      } finally {
        forget(identities);
      }
    });
}
