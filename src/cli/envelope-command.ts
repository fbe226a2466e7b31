/**
 * The envelope side of `sectorcrypt encrypt` and `decrypt` (-r/-R/-i/--passphrase-file/
 * --kek-file): the same input, output and progress plumbing as the raw Cobblestone mode
 * (chunked-command.ts), with an envelope stream in the middle. Loaded only when used.
 */
import { Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { SectorCryptError } from '../errors.js';
import { createEnvelopeDecryptStream, createEnvelopeEncryptStream } from '../envelope/streams.js';
import { forget, identitiesFrom, recipientsFrom } from './envelope-keys.js';
import type { Direction, EnvelopeFlags } from './envelope-options.js';
import { openInput, openOutput } from './files.js';
import { createProgress } from './progress.js';
import type { Identity } from '../envelope/identities.js';
import type { Recipient } from '../envelope/recipients.js';

function counter(onBytes: (n: number) => void): Transform {
  return new Transform({
    transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback) {
      onBytes(chunk.length);
      callback(null, chunk);
    },
  });
}

async function envelopeStream(direction: Direction, flags: EnvelopeFlags): Promise<{ keys: (Recipient | Identity)[]; stream: Transform }> {
  if (direction === 'decrypt') {
    const identities = await identitiesFrom(flags);
    try {
      return { keys: identities, stream: createEnvelopeDecryptStream({ identities }) };
    } catch (err) {
      forget(identities);
      throw err;
    }
  }
  const recipients = await recipientsFrom(flags);
  try {
    // The stream checked and copied the recipients: their secrets can go now.
    return { keys: [], stream: createEnvelopeEncryptStream({ recipients }) };
  } finally {
    forget(recipients);
  }
}

export async function runEnvelope(direction: Direction, flags: EnvelopeFlags, inName?: string, outName?: string): Promise<void> {
  if (outName !== undefined && flags.output !== undefined) throw new SectorCryptError('ERR_ARGUMENT', 'give the output once: as -o or as the second argument');
  const { keys, stream } = await envelopeStream(direction, flags);
  const input = await openInput(inName).catch((err: unknown) => {
    stream.destroy();
    throw err;
  });
  // Plaintext is readable by its owner only; envelopes like any other file.
  const output = openOutput(outName ?? flags.output, direction === 'decrypt' ? 0o600 : 0o666);
  const progress = createProgress('{bar} {percentage}% | {value}/{total} bytes');
  let done = 0;
  const size = input.size;
  try {
    const stages = size !== undefined && process.stderr.isTTY ? [counter((n) => progress.update((done += n), size))] : [];
    await pipeline([input.stream, ...stages, stream, output.stream]);
    await output.commit();
  } catch (err) {
    await output.discard();
    throw err;
  } finally {
    progress.stop();
    forget(keys);
  }
}
