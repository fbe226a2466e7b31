/** A BatchCodec as a Node Transform. Back-pressure: write callbacks wait while the job queue is full. */
import { Transform } from 'node:stream';
import { isBytes } from '../bytes.js';
import { SectorCryptError } from '../errors.js';
import type { BatchCodec } from './codec.js';
import { BatchDriver } from './driver.js';

export function nodeTransform(codec: BatchCodec): Transform {
  const stream = new Transform({
    transform(chunk: unknown, _encoding, callback) {
      if (!isBytes(chunk)) return callback(driver.abort(new SectorCryptError('ERR_ARGUMENT', 'stream input must be bytes')) as Error);
      driver.write(chunk).then(() => callback(), callback);
    },
    flush(callback) {
      driver.end().then(() => callback(), callback);
    },
    destroy(error, callback) {
      driver.close().then(() => callback(error));
    },
  });
  const driver = new BatchDriver(
    codec,
    (output) => stream.push(output),
    (error) => stream.destroy(error as Error),
  );
  return stream;
}
