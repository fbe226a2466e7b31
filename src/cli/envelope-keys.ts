/**
 * Reading what the envelope commands are given on the command line into recipients and
 * identities: public keys (-r), recipients files (-R), identity files (-i), passphrase files
 * and KEK files. Secret files are refused when group or others may read them.
 */
import { readFile } from 'node:fs/promises';
import { SectorCryptError } from '../errors.js';
import { checkPrivateFile, readIdentityFile, readRecipientsFile } from '../envelope/key-files.js';
import type { Identity } from '../envelope/identities.js';
import type { Recipient } from '../envelope/recipients.js';
import type { BrokerKey } from '../envelope/stanzas/broker.js';
import type { ThresholdOptions } from '../envelope/threshold.js';
import { readKeyFile } from './files.js';
import { paired } from './args.js';
import { setLastWords } from './output.js';
import type { BrokerAgent } from '../agent/broker-agent.js';
import { fetchBrokerKey, loadAgent, type AgentWaitFlags, type BrokerRecipientFlags } from './broker-recipient.js';

export interface EnvelopeKeyFlags extends BrokerRecipientFlags, AgentWaitFlags {
  agent?: string[];
  threshold?: number;
  claims?: string;
  recipient?: string[];
  recipientsFile?: string[];
  identity?: string[];
  passphraseFile?: string;
  kekFile?: string;
  kekId?: string;
}

/**
 * The passphrase file's bytes, without one final line end (so `echo pw > file` gives "pw"),
 * the same passphrase the library's { passphrase: 'pw' } gives.
 */
export async function readPassphraseFile(file: string): Promise<Uint8Array> {
  await checkPrivateFile(file, 'passphrase file');
  const bytes = new Uint8Array(await readFile(file));
  let end = bytes.length;
  if (end > 0 && bytes[end - 1] === 0x0a) end--;
  if (end > 0 && bytes[end - 1] === 0x0d) end--;
  if (end === 0) throw new SectorCryptError('ERR_ARGUMENT', `passphrase file ${file} is empty`);
  const out = bytes.slice(0, end);
  bytes.fill(0);
  return out;
}

export async function readKekFile(file: string): Promise<Uint8Array> {
  await checkPrivateFile(file, 'KEK file');
  const key = await readKeyFile(file);
  if (key.length !== 32) {
    key.fill(0);
    throw new SectorCryptError('ERR_KEY_LENGTH', `KEK file ${file} must hold exactly 32 raw bytes`);
  }
  return key;
}

const BROKER_MEMBER = /^broker:(https:\/\/[\x21-\x7e]+)\/([^/\s]+)$/;

/**
 * Recipients from -r, -R (files, or broker:URL/KEYID: that broker key's public key, fetched
 * with the --ca and --broker-token paired with it), --passphrase-file, --kek-file, --broker-key.
 * A broker recipient carries its URL (a threshold member keeps it as a hint).
 */
export async function recipientsFrom(flags: EnvelopeKeyFlags, required = true): Promise<Recipient[]> {
  const recipients: Recipient[] = [...(flags.recipient ?? [])];
  const brokers: { url?: string; keyId: string; label?: string }[] = [];
  for (const file of flags.recipientsFile ?? []) {
    const m = BROKER_MEMBER.exec(file);
    if (m) brokers.push({ url: m[1].replace(/\/+$/, ''), keyId: m[2], label: `-R ${file}` });
    else if (file.startsWith('broker:'))
      throw new SectorCryptError('ERR_ARGUMENT', `-R ${file}: a broker recipient is broker:https://HOST[:PORT]/KEYID`);
    else recipients.push(...(await readRecipientsFile(file)));
  }
  if (flags.brokerKey !== undefined) brokers.push({ url: flags.broker, keyId: flags.brokerKey });
  const keys = await Promise.all(
    brokers.map(async (b, i) => {
      const one = {
        brokerKey: b.keyId,
        broker: b.url,
        ca: paired(flags.ca, i, brokers.length, '--ca'),
        brokerToken: paired(flags.brokerToken, i, brokers.length, '--broker-token'),
        label: b.label,
      };
      const key = await fetchBrokerKey(one);
      const url = (b.url ?? process.env.SECTORCRYPT_BROKER_URL)?.replace(/\/+$/, '');
      return { broker: { ...key, ...(url ? { url } : {}) } };
    }),
  );
  if (flags.passphraseFile !== undefined) recipients.push({ passphrase: await readPassphraseFile(flags.passphraseFile) });
  if (flags.kekFile !== undefined) {
    if (flags.kekId === undefined)
      throw new SectorCryptError('ERR_ARGUMENT', '--kek-file needs --kek-id (the name written in the envelope)');
    recipients.push({ kek: await readKekFile(flags.kekFile), keyId: flags.kekId });
  }
  recipients.push(...keys);
  if (recipients.length === 0 && required)
    throw new SectorCryptError('ERR_ARGUMENT', 'no recipient: give -r, -R, --passphrase-file, --kek-file or --broker-key');
  return recipients;
}

export async function identitiesFrom(flags: EnvelopeKeyFlags): Promise<Identity[]> {
  const identities: Identity[] = [];
  for (const file of flags.identity ?? []) identities.push(...(await readIdentityFile(file)));
  if (flags.passphraseFile !== undefined) identities.push({ passphrase: await readPassphraseFile(flags.passphraseFile) });
  if (flags.kekFile !== undefined) {
    const kek = await readKekFile(flags.kekFile);
    identities.push(flags.kekId === undefined ? { kek } : { kek, keyId: flags.kekId });
  }
  if ((flags.claims !== undefined || flags.wait || flags.timeout !== undefined) && flags.agent === undefined) {
    throw new SectorCryptError('ERR_ARGUMENT', '--claims, --wait and --timeout go with --agent');
  }
  const agents: BrokerAgent[] = [];
  for (const dir of flags.agent ?? []) {
    try {
      agents.push(await loadAgent(dir, flags.claims, { wait: flags.wait, timeout: flags.timeout }));
    } catch (err) {
      forget([...identities, ...agents]);
      throw err;
    }
  }
  // Each waiting agent set itself as the one to withdraw on a signal; with several, all of them are.
  if (flags.wait && agents.length > 1) {
    setLastWords(async () => {
      const ids = await Promise.all(agents.map((a) => a.withdrawWaiting().catch(() => [] as string[])));
      for (const id of ids.flat()) process.stderr.write(`sectorcrypt: withdrew release request ${id}\n`);
    });
  }
  identities.push(...agents);
  if (identities.length === 0) throw new SectorCryptError('ERR_ARGUMENT', 'no identity: give -i, --passphrase-file, --kek-file or --agent');
  return identities;
}

/**
 * What `encrypt` and `rekey` seal to: the recipients alone, or with --threshold K one group of
 * them all. A broker recipient outside a group does not keep its URL.
 */
export function sealTargets(
  recipients: Recipient[],
  threshold: number | undefined,
): { recipients?: Recipient[]; threshold?: ThresholdOptions } {
  if (threshold !== undefined) return { threshold: { k: threshold, recipients } };
  return {
    recipients: recipients.map((r) => {
      if (typeof r !== 'object' || r === null || !('broker' in r)) return r;
      const { url: _url, ...key } = r.broker as BrokerKey & { url?: string };
      return { broker: key };
    }),
  };
}

/** Wipes the secret bytes held by identities and recipients once a command is done. */
export function forget(keys: (Identity | Recipient)[]): void {
  for (const k of keys) {
    if (typeof k !== 'object' || k === null) continue;
    if ('passphrase' in k && k.passphrase instanceof Uint8Array) k.passphrase.fill(0);
    if ('kek' in k) k.kek.fill(0);
    // A BrokerAgent: its connections close and its device key is wiped.
    if ('close' in k && typeof k.close === 'function') k.close();
  }
}
