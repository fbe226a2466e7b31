/** A BatchCodec as a WHATWG TransformStream<Uint8Array, Uint8Array>. */
import { isBytes } from '../bytes.js';
import { SectorCryptError } from '../errors.js';
import type { BatchCodec } from './codec.js';
import { BatchDriver } from './driver.js';

export function webTransform(codec: BatchCodec): TransformStream<Uint8Array, Uint8Array> {
  let driver: BatchDriver;
  return new TransformStream<Uint8Array, Uint8Array>({
    start(controller) {
      driver = new BatchDriver(
        codec,
        (output) => controller.enqueue(output),
        (error) => controller.error(error),
      );
    },
    transform(chunk) {
      if (!isBytes(chunk)) throw driver.abort(new SectorCryptError('ERR_ARGUMENT', 'stream input must be a Uint8Array'));
      return driver.write(chunk);
    },
    flush() {
      return driver.end();
    },
  });
}
