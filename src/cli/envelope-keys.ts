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
import { readKeyFile } from './files.js';
import { fetchBrokerKey, loadAgent, type AgentWaitFlags, type BrokerRecipientFlags } from './broker-recipient.js';

export interface EnvelopeKeyFlags extends BrokerRecipientFlags, AgentWaitFlags {
  agent?: string;
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

export async function recipientsFrom(flags: EnvelopeKeyFlags): Promise<Recipient[]> {
  const recipients: Recipient[] = [...(flags.recipient ?? [])];
  for (const file of flags.recipientsFile ?? []) recipients.push(...(await readRecipientsFile(file)));
  if (flags.passphraseFile !== undefined) recipients.push({ passphrase: await readPassphraseFile(flags.passphraseFile) });
  if (flags.kekFile !== undefined) {
    if (flags.kekId === undefined)
      throw new SectorCryptError('ERR_ARGUMENT', '--kek-file needs --kek-id (the name written in the envelope)');
    recipients.push({ kek: await readKekFile(flags.kekFile), keyId: flags.kekId });
  }
  if (flags.brokerKey !== undefined) recipients.push({ broker: await fetchBrokerKey(flags) });
  if (recipients.length === 0)
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
  if (flags.agent !== undefined) {
    try {
      identities.push(await loadAgent(flags.agent, flags.claims, { wait: flags.wait, timeout: flags.timeout }));
    } catch (err) {
      forget(identities);
      throw err;
    }
  }
  if (identities.length === 0) throw new SectorCryptError('ERR_ARGUMENT', 'no identity: give -i, --passphrase-file, --kek-file or --agent');
  return identities;
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
