/**
 * A Node Transform in two stages: a prefix stage reads (or writes) the envelope header
 * itself, then hands every later byte to an inner Cobblestone stream from src/chunked/ and
 * passes that stream's output on. The header costs nothing per payload byte: after it, data
 * goes straight through the inner stream.
 */
import { Transform } from 'node:stream';
import { isBytes } from '../bytes.js';
import { SectorCryptError } from '../errors.js';

export interface Started {
  /** Emitted before anything the inner stream produces (the header, when encrypting). */
  head?: Uint8Array;
  inner: Transform;
  /** Input bytes the prefix stage took but that belong to the inner stream. */
  rest: Uint8Array;
}

export interface PrefixStage {
  /** Takes input during the prefix; resolves once the inner stream can start. */
  take(chunk: Uint8Array): Promise<Started | undefined>;
  /** The input ended while the prefix stage still had it: start now, or throw. */
  end(): Promise<Started>;
  /** Wipes what the stage holds (the stream was destroyed before it started). */
  close(): void;
}

export function prefixedTransform(stage: PrefixStage): Transform {
  let inner: Transform | undefined;
  let innerEnded: Promise<void> | undefined;

  const write = (chunk: Uint8Array) =>
    new Promise<void>((resolve, reject) => {
      if (chunk.length === 0) return resolve();
      inner!.write(chunk, (err) => (err ? reject(err) : resolve()));
    });

  async function start(started: Started): Promise<void> {
    if (started.head) outer.push(started.head);
    inner = started.inner;
    inner.on('data', (data: Uint8Array) => outer.push(data));
    innerEnded = new Promise<void>((resolve, reject) => {
      inner!.once('end', resolve);
      inner!.once('error', reject);
    });
    innerEnded.catch((err: Error) => outer.destroy(err));
    await write(started.rest);
  }

  const outer: Transform = new Transform({
    transform(chunk: unknown, _encoding, callback) {
      if (!isBytes(chunk)) return callback(new SectorCryptError('ERR_ARGUMENT', 'stream input must be bytes'));
      const step = async () => {
        if (inner) return write(chunk);
        const started = await stage.take(chunk);
        if (started) await start(started);
      };
      step().then(() => callback(), callback);
    },
    flush(callback) {
      const step = async () => {
        if (!inner) await start(await stage.end());
        inner!.end();
        await innerEnded;
      };
      step().then(() => callback(), callback);
    },
    destroy(error, callback) {
      if (inner) inner.destroy();
      else stage.close();
      callback(error);
    },
  });
  return outer;
}
