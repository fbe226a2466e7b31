/** Shared fixtures for the envelope tests: identities made once, cheap argon2id costs, stream helpers. */
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { generateIdentity } from '../../src/index.js';
import type { Transform } from 'node:stream';

/** Cheap enough for tests; the default cost is exercised once, in roundtrip.test.ts. */
export const CHEAP = { memoryKiB: 256, passes: 1, lanes: 1 };
export const alice = await generateIdentity('x25519');
export const bob = await generateIdentity('x25519');
export const quinn = await generateIdentity('mlkem768x25519');
export const kek = new Uint8Array(32).map((_, i) => i * 7 + 1);
export const kekId = 'hsm:slot/7';

export function randomPlain(length: number, seed = 1): Uint8Array {
  const out = new Uint8Array(length);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

/** Runs `input` through the transform in pieces of `piece` bytes; collects what came out (even on failure). */
export async function throughStream(
  stream: Transform,
  input: Uint8Array | Iterable<Uint8Array> | AsyncIterable<Uint8Array>,
  piece = 65536,
): Promise<{ output: Uint8Array; error?: unknown }> {
  const pieces: Uint8Array[] = [];
  const source =
    input instanceof Uint8Array
      ? Readable.from(
          (function* () {
            for (let i = 0; i < input.length || i === 0; i += piece) yield input.subarray(i, i + piece);
          })(),
          { objectMode: false },
        )
      : Readable.from(input as Iterable<Uint8Array>, { objectMode: false });
  const sink = new Writable({
    write(chunk: Uint8Array, _e, cb) {
      pieces.push(new Uint8Array(chunk));
      cb();
    },
  });
  let error: unknown;
  await pipeline(source, stream, sink).catch((err) => (error = err));
  return { output: new Uint8Array(Buffer.concat(pieces)), error };
}
