/**
 * Raw mode (the spec's appendix): the caller supplies the AEAD key and base nonce, so
 * there is no salt, no commitment and no key commitment. For protocol builders only; it
 * is exported from 'sectorcrypt/hazmat'. Key and base nonce must be uniformly random and
 * never used for a second message.
 */
import type { Transform } from 'node:stream';
import { checkBytes } from '../bytes.js';
import type { BackendChoice } from '../backend/select.js';
import { nodeTransform } from '../stream/node.js';
import { webTransform } from '../stream/web.js';
import { ChunkCipher } from './chunk-cipher.js';
import { openCodec, sealCodec } from './codecs.js';
import { checkInputKey } from './params.js';
import { checkOptionKeys } from '../options.js';
import { openReader, type ChunkedReader } from './reader.js';
import { openBody, sealBody } from './tail.js';

export interface RawOptions {
  backend?: BackendChoice;
}

/** key: 16 bytes (AES-128-GCM) or 32 bytes (AES-256-GCM); baseNonce: 12 bytes. */
function rawCipher(key: Uint8Array, baseNonce: Uint8Array, opts?: RawOptions): ChunkCipher {
  return new ChunkCipher(checkInputKey(key), baseNonce, checkOptionKeys(opts, ['backend'], 'raw chunked options').backend);
}

function using<T>(cipher: ChunkCipher, fn: (cipher: ChunkCipher) => T): T {
  try {
    return fn(cipher);
  } finally {
    cipher.destroy();
  }
}

/** The sealed chunks, with no header. */
export function encryptChunkedRaw(key: Uint8Array, baseNonce: Uint8Array, plaintext: Uint8Array, opts?: RawOptions): Uint8Array {
  const plain = checkBytes(plaintext, 'plaintext');
  return using(rawCipher(key, baseNonce, opts), (cipher) => sealBody(cipher, plain, 0));
}

export function decryptChunkedRaw(key: Uint8Array, baseNonce: Uint8Array, ciphertext: Uint8Array, opts?: RawOptions): Uint8Array {
  const sealed = checkBytes(ciphertext, 'ciphertext');
  return using(rawCipher(key, baseNonce, opts), (cipher) => openBody(cipher, sealed, 0));
}

export function createChunkedRawEncryptStream(key: Uint8Array, baseNonce: Uint8Array, opts?: RawOptions): Transform {
  return nodeTransform(sealCodec(rawCipher(key, baseNonce, opts)));
}

export function createChunkedRawDecryptStream(key: Uint8Array, baseNonce: Uint8Array, opts?: RawOptions): Transform {
  const cipher = rawCipher(key, baseNonce, opts);
  return nodeTransform(
    openCodec(
      0,
      () => cipher,
      () => cipher.destroy(),
    ),
  );
}

export function createChunkedRawEncryptWebStream(
  key: Uint8Array,
  baseNonce: Uint8Array,
  opts?: RawOptions,
): TransformStream<Uint8Array, Uint8Array> {
  return webTransform(sealCodec(rawCipher(key, baseNonce, opts)));
}

export function createChunkedRawDecryptWebStream(
  key: Uint8Array,
  baseNonce: Uint8Array,
  opts?: RawOptions,
): TransformStream<Uint8Array, Uint8Array> {
  const cipher = rawCipher(key, baseNonce, opts);
  return webTransform(
    openCodec(
      0,
      () => cipher,
      () => cipher.destroy(),
    ),
  );
}

export function openChunkedRawReader(
  key: Uint8Array,
  baseNonce: Uint8Array,
  source: string | Uint8Array,
  opts?: RawOptions,
): Promise<ChunkedReader> {
  let cipher: ChunkCipher;
  try {
    cipher = rawCipher(key, baseNonce, opts);
  } catch (err) {
    return Promise.reject(err);
  }
  return openReader(source, 0, () => cipher);
}
