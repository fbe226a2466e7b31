/**
 * A Node Transform in two stages: a prefix stage reads (or writes) the envelope header
 * itself, then every later byte goes to a Cobblestone batch codec from src/chunked/, run by
 * the same BatchDriver the Cobblestone streams use. After the header, data takes exactly the
 * Cobblestone stream's path: the header costs nothing per payload byte.
 */
import { Transform } from 'node:stream';
import { isBytes } from '../bytes.js';
import { SectorCryptError } from '../errors.js';
import type { BatchCodec } from '../stream/codec.js';
import { BatchDriver } from '../stream/driver.js';

export interface Started {
  /** Emitted before anything the codec produces (the header, when encrypting). */
  head?: Uint8Array;
  codec: BatchCodec;
  /** Input bytes the prefix stage took but that belong to the codec. */
  rest: Uint8Array;
}

export interface PrefixStage {
  /** Takes input during the prefix; resolves once the codec can start. */
  take(chunk: Uint8Array): Promise<Started | undefined>;
  /** The input ended while the prefix stage still had it: start now, or throw. */
  end(): Promise<Started>;
  /** Wipes what the stage holds (the stream was destroyed before it started). */
  close(): void;
}

export function prefixedTransform(stage: PrefixStage): Transform {
  let driver: BatchDriver | undefined;

  async function start(started: Started): Promise<void> {
    // Destroyed while the header was being sealed or opened: wipe the keys, run nothing.
    if (outer.destroyed) return started.codec.close();
    if (started.head) outer.push(started.head);
    driver = new BatchDriver(
      started.codec,
      (output) => outer.push(output),
      (error) => outer.destroy(error as Error),
    );
    if (started.rest.length > 0) await driver.write(started.rest);
  }

  const outer: Transform = new Transform({
    transform(chunk: unknown, _encoding, callback) {
      if (!isBytes(chunk)) return callback(new SectorCryptError('ERR_ARGUMENT', 'stream input must be bytes'));
      const step = async () => {
        if (driver) return driver.write(chunk);
        if (outer.destroyed) return;
        const started = await stage.take(chunk);
        if (started) await start(started);
      };
      step().then(() => callback(), callback);
    },
    flush(callback) {
      const step = async () => {
        if (!driver) await start(await stage.end());
        if (driver) await driver.end();
      };
      step().then(() => callback(), callback);
    },
    destroy(error, callback) {
      const closing = driver ? driver.close() : Promise.resolve(stage.close());
      closing.then(
        () => callback(error),
        () => callback(error),
      );
    },
  });
  return outer;
}
