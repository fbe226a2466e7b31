/**
 * The envelope side of `sectorcrypt encrypt` and `decrypt` (-r/-R/-i/--passphrase-file/
 * --kek-file): the input, output and progress plumbing of the raw mode (runThrough in
 * run-through.ts) with an envelope stream as the cipher. Loaded only when used.
 */
import { join } from 'node:path';
import { createEnvelopeDecryptStream, createEnvelopeEncryptStream } from '../envelope/streams.js';
import { forget, identitiesFrom, recipientsFrom, sealTargets } from './envelope-keys.js';
import type { EnvelopeFlags } from './envelope-options.js';
import { runThrough, type ChunkedCommand, type CipherFactory } from './run-through.js';

export function runEnvelope(
  cmd: ChunkedCommand,
  flags: EnvelopeFlags & { force?: boolean },
  inName?: string,
  outName?: string,
): Promise<void> {
  const makeCipher: CipherFactory = async () => {
    if (cmd.name === 'decrypt') {
      const identities = await identitiesFrom(flags);
      try {
        return { stream: createEnvelopeDecryptStream({ identities }), release: () => forget(identities) };
      } catch (err) {
        forget(identities);
        throw err;
      }
    }
    const recipients = await recipientsFrom(flags);
    try {
      // The stream checked and copied the recipients: their secrets can go now.
      return { stream: createEnvelopeEncryptStream(sealTargets(recipients, flags.threshold)) };
    } finally {
      forget(recipients);
    }
  };
  // The output may not land on a key or the agent's device key either.
  const secretFiles = [
    ...(flags.identity ?? []),
    ...(flags.recipientsFile ?? []),
    flags.passphraseFile,
    flags.kekFile,
    flags.claims,
    ...(flags.agent ?? []).map((dir) => join(dir, 'device.key')),
  ];
  return runThrough(cmd, { force: flags.force === true, secretFiles }, makeCipher, inName, outName);
}
