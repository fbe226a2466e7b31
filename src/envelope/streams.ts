/**
 * createEnvelopeEncryptStream / createEnvelopeDecryptStream: Node Transforms (and Web
 * TransformStreams around them). Decrypting reads the header, finds the file key and checks
 * the MAC before one payload byte reaches the Cobblestone stream, so a changed header emits
 * nothing.
 */
import { randomBytes } from 'node:crypto';
import { Duplex, type Transform } from 'node:stream';
import type { ReadableWritablePair } from 'node:stream/web';
import { wipe } from '../bytes.js';
import { decryptCodec, encryptCodec } from '../chunked/streams.js';
import type { BatchCodec } from '../stream/codec.js';
import { FILE_KEY_BYTES, PAYLOAD_SALT_BYTES } from './format.js';
import { HeaderScanner, type ParsedHeader } from './header.js';
import { toOpeners } from './identities.js';
import { payloadKey } from './key-schedule.js';
import { DECRYPT_KEYS, ENCRYPT_KEYS, openFileKey, type EnvelopeDecryptOptions, type EnvelopeEncryptOptions } from './oneshot.js';
import { checkObject } from './options.js';
import { payloadOptions } from './payload.js';
import { prefixedTransform, type Started } from './prefixed-stream.js';
import { encryptSealers, sealHeader } from './seal-header.js';

export function createEnvelopeEncryptStream(options: EnvelopeEncryptOptions): Transform {
  const opts = checkObject(options, 'options', ENCRYPT_KEYS) as unknown as EnvelopeEncryptOptions;
  const sealers = encryptSealers(opts);
  const fileKey = new Uint8Array(randomBytes(FILE_KEY_BYTES));
  const key = payloadKey(fileKey);
  let codec: BatchCodec;
  try {
    codec = encryptCodec(key, payloadOptions(opts.backend));
  } finally {
    wipe(key);
  }
  const header = sealHeader(fileKey, sealers).finally(() => wipe(fileKey));
  header.catch(() => {}); // reported when the stream awaits it
  const started = async (rest: Uint8Array): Promise<Started> => ({ head: await header, codec, rest });
  return prefixedTransform({
    take: started,
    end: () => started(new Uint8Array(0)),
    close: () => {
      wipe(fileKey);
      codec.close();
    },
  });
}

export function createEnvelopeDecryptStream(options: EnvelopeDecryptOptions): Transform {
  const opts = checkObject(options, 'options', DECRYPT_KEYS) as unknown as EnvelopeDecryptOptions;
  toOpeners(opts.identities).forEach((o) => o.forget()); // argument errors now, not at the first byte
  const scanner = new HeaderScanner();
  let header: ParsedHeader | undefined;
  let pending: Uint8Array[] = [];
  let pendingBytes = 0;

  async function start(): Promise<Started> {
    const rest = new Uint8Array(Buffer.concat(pending));
    pending = [];
    const fileKey = await openFileKey(header!, opts, rest);
    const key = payloadKey(fileKey);
    try {
      return { codec: decryptCodec(key, payloadOptions(opts.backend)), rest };
    } finally {
      wipe(fileKey, key);
    }
  }

  return prefixedTransform({
    async take(chunk) {
      let payload = chunk;
      if (!header) {
        const used = scanner.push(chunk);
        if (used === undefined) return undefined;
        header = scanner.result();
        payload = chunk.subarray(used);
      }
      pending.push(payload);
      pendingBytes += payload.length;
      // The broker names an envelope by its payload salt: wait for it before unwrapping.
      return pendingBytes >= PAYLOAD_SALT_BYTES ? start() : undefined;
    },
    async end() {
      if (!header) header = scanner.result(); // throws: the input ended inside the header
      return start();
    },
    close() {
      pending = [];
    },
  });
}

/** The same streams as WHATWG { readable, writable } pairs, for pipeThrough(). */
export function createEnvelopeEncryptWebStream(options: EnvelopeEncryptOptions): ReadableWritablePair<Uint8Array, Uint8Array> {
  return Duplex.toWeb(createEnvelopeEncryptStream(options)) as unknown as ReadableWritablePair<Uint8Array, Uint8Array>;
}

export function createEnvelopeDecryptWebStream(options: EnvelopeDecryptOptions): ReadableWritablePair<Uint8Array, Uint8Array> {
  return Duplex.toWeb(createEnvelopeDecryptStream(options)) as unknown as ReadableWritablePair<Uint8Array, Uint8Array>;
}
