/** Cobblestone streams: Node Transform and Web TransformStream, encrypt and decrypt. */
import type { Transform } from 'node:stream';
import { nodeTransform } from '../stream/node.js';
import { webTransform } from '../stream/web.js';
import type { BatchCodec } from '../stream/codec.js';
import { openCodec, sealCodec } from './codecs.js';
import { openHeader, sealHeader } from './header.js';
import { checkInputKey, checkOptions, contextBytes, HEADER, type ChunkedOptions } from './params.js';

/** Exported for the envelope streams (src/envelope/streams.ts), which run the same codecs after their header. */
export function encryptCodec(key: Uint8Array, opts?: ChunkedOptions): BatchCodec {
  const { header, cipher } = sealHeader(key, checkOptions(opts));
  return sealCodec(cipher, header);
}

export function decryptCodec(key: Uint8Array, opts?: ChunkedOptions): BatchCodec {
  const options = checkOptions(opts);
  // Bad arguments fail here, not at the first byte.
  checkInputKey(key);
  contextBytes(options.context);
  const inputKey = new Uint8Array(key);
  const forget = () => inputKey.fill(0);
  return openCodec(
    HEADER,
    (head) => {
      try {
        return openHeader(inputKey, head, options);
      } finally {
        forget();
      }
    },
    forget,
  );
}

/** Plaintext in, salt || commitment || sealed chunks out. */
export function createChunkedEncryptStream(key: Uint8Array, opts?: ChunkedOptions): Transform {
  return nodeTransform(encryptCodec(key, opts));
}

/** Ciphertext in, plaintext out: each chunk only after it authenticated. */
export function createChunkedDecryptStream(key: Uint8Array, opts?: ChunkedOptions): Transform {
  return nodeTransform(decryptCodec(key, opts));
}

export function createChunkedEncryptWebStream(key: Uint8Array, opts?: ChunkedOptions): TransformStream<Uint8Array, Uint8Array> {
  return webTransform(encryptCodec(key, opts));
}

export function createChunkedDecryptWebStream(key: Uint8Array, opts?: ChunkedOptions): TransformStream<Uint8Array, Uint8Array> {
  return webTransform(decryptCodec(key, opts));
}
