/**
 * `sectorcrypt volume bind IMAGE --broker-key KEYID --url URL --ca CA --passphrase-file F`
 * (with `--threshold K` and one --broker-key, --url, --ca, --token per broker: one key slot
 * opened by any K of them), and `sectorcrypt volume unlock IMAGE --agent DIR... [--claims FILE] [--print-key]`
 * (docs/broker.md "Managing a running broker from the command line"): a key slot whose secret the key broker releases by policy.
 */
import type { Command } from 'commander';
import { Volume } from '../volume/index.js';
import { wipe } from '../bytes.js';
import { SectorCryptError } from '../errors.js';
import { getPassphrase } from './passphrase.js';
import { noteWhile } from './progress.js';
import { fetchBrokerKey, loadAgent } from './broker-recipient.js';
import { collect, integer, paired } from './args.js';

/** A LUKS2 token number, two digits at most; Volume checks it against the header. */
const tokenNumber = integer('--token', { max: 99, what: 'a LUKS2 token number' });

export function registerVolumeBroker(volume: Command): void {
  volume
    .command('bind <image>')
    .description('add a key slot whose secret is sealed to a key broker key (a LUKS2 sectorcrypt-broker token)')
    .requiredOption(
      '--broker-key <key-id>',
      'the broker key to seal to (its newest version); repeatable: one key slot and token each',
      collect,
      [],
    )
    .option('--url <url>', 'the key broker, https://... (or SECTORCRYPT_BROKER_URL); repeatable: one per --broker-key', collect)
    .option('--ca <file>', "the broker's CA certificate (or SECTORCRYPT_BROKER_CA); repeatable: one per --broker-key", collect)
    .option(
      '--token <token>',
      'an API token of the tenant, to read the public key (or SECTORCRYPT_BROKER_TOKEN); repeatable: one per --broker-key',
      collect,
    )
    .option(
      '--threshold <k>',
      'one key slot for all the --broker-key keys, opened when any k of their brokers release their share',
      integer('--threshold', { min: 1, max: 16 }),
    )
    .option('--passphrase-file <file>', 'an existing passphrase of the volume, from this file')
    .action(async (image: string, f: BindFlags) => {
      // The public keys first: a broker that cannot be reached fails before the passphrase is asked.
      const several = [f.url, f.ca, f.token].some((v) => (v?.length ?? 0) > 1);
      const names = several ? f.brokerKey : [...new Set(f.brokerKey)];
      const keys = [];
      for (const [i, brokerKey] of names.entries()) {
        const url = paired(f.url, i, names.length, '--url');
        const key = await fetchBrokerKey({
          brokerKey,
          broker: url,
          ca: paired(f.ca, i, names.length, '--ca'),
          brokerToken: paired(f.token, i, names.length, '--token'),
        });
        keys.push({ ...key, url: brokerUrl(url) });
      }
      const passphrase = await getPassphrase(f.passphraseFile, `Passphrase for ${image}: `);
      let vol: Volume;
      try {
        vol = await noteWhile('deriving key from passphrase', () => Volume.open(image, { passphrase }));
      } finally {
        wipe(passphrase);
      }
      try {
        if (f.threshold !== undefined) {
          const slot = await vol.bindBrokerThreshold(
            f.threshold,
            keys.map((k) => (k.url ? k : { keyId: k.keyId, version: k.version, publicKey: k.publicKey })),
          );
          const names = keys.map((k) => `${k.keyId} version ${k.version}${k.url ? ` at ${k.url}` : ''}`).join(', ');
          process.stdout.write(`bound key slot ${slot} of ${image} to any ${f.threshold} of broker keys ${names}\n`);
        } else {
          for (const key of keys) {
            const slot = await vol.bindBroker(key.url ? key : { keyId: key.keyId, version: key.version, publicKey: key.publicKey });
            process.stdout.write(`bound key slot ${slot} of ${image} to broker key ${key.keyId} version ${key.version}\n`);
          }
        }
      } finally {
        await vol.close();
      }
    });

  volume
    .command('unbind <image>')
    .description('remove a sectorcrypt-broker token and its key slot (never the last key slot without --force)')
    .option('--token <n>', 'this LUKS2 token', tokenNumber)
    .option('--broker-key <key-id>', 'the tokens sealed to this broker key')
    .option('--force', 'remove the key slot even when it is the last way into the volume (the data is then lost)')
    .action(async (image: string, f: { token?: number; brokerKey?: string; force?: boolean }) => {
      const { tokens, keyslots } = await Volume.unbindBroker(image, {
        ...(f.token !== undefined ? { token: f.token } : {}),
        ...(f.brokerKey !== undefined ? { keyId: f.brokerKey } : {}),
        ...(f.force ? { force: true } : {}),
      });
      process.stdout.write(`removed token ${tokens.join(', ')} and key slot ${keyslots.join(', ')} of ${image}\n`);
    });

  volume
    .command('unlock <image>')
    .description('release the key slot secret through the key broker and check that it opens the volume')
    .requiredOption('--agent <state-dir>', 'the enrolled agent (sectorcrypt agent enroll); repeatable: one per broker', collect)
    .option('--claims <file>', 'a claims config: which collectors report (default: every built-in collector)')
    .option('--print-key', 'write the slot secret to stdout, for `cryptsetup open --key-file=-` (never to a terminal)')
    .option('--wait', 'when the release needs approval, wait for it (without: ERR_PENDING and the request id)')
    .option('--timeout <seconds>', 'with --wait: give up waiting after this long (default 900)')
    .option('--token <n>', 'only this LUKS2 token (as the cryptsetup token plugin asks)', tokenNumber)
    .action(
      async (
        image: string,
        f: { agent: string[]; claims?: string; printKey?: boolean; wait?: boolean; timeout?: string; token?: number },
      ) => {
        // Refused before anything is asked of the broker.
        if (f.printKey && process.stdout.isTTY)
          throw new SectorCryptError(
            'ERR_ARGUMENT',
            '--print-key writes a secret: pipe it (to cryptsetup open --key-file=-), not to a terminal',
          );
        const agents = [];
        try {
          for (const dir of f.agent) agents.push(await loadAgent(dir, f.claims, { wait: f.wait, timeout: f.timeout }));
          const agent = agents.length === 1 ? agents[0] : agents;
          const { secret, keyslot } = await Volume.releaseKey(image, { agent, ...(f.token !== undefined ? { token: f.token } : {}) });
          try {
            if (f.printKey) await writeAll(secret);
            else process.stdout.write(`ok: the broker released the secret of key slot ${keyslot} of ${image}\n`);
          } finally {
            wipe(secret);
          }
        } finally {
          for (const a of agents) a.close();
        }
      },
    );
}

interface BindFlags {
  brokerKey: string[];
  url?: string[];
  ca?: string[];
  token?: string[];
  threshold?: number;
  passphraseFile?: string;
}

/** The broker URL bind was given, kept in the token for luksDump. */
function brokerUrl(flag: string | undefined): string {
  return (flag ?? process.env.SECTORCRYPT_BROKER_URL ?? '').replace(/\/+$/, '');
}

/** Writes the raw secret to stdout and waits until it is handed over. */
function writeAll(bytes: Uint8Array): Promise<void> {
  return new Promise((resolve, reject) => process.stdout.write(Buffer.from(bytes), (err) => (err ? reject(err) : resolve())));
}
