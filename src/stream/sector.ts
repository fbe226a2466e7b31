/**
 * Sector streams: AES-XTS over a stream of whole sectors (a disk image), any input
 * chunking in, batches of sectors out in order. A final partial sector is
 * ERR_SECTOR_ALIGNMENT, raised after every whole sector before it was emitted.
 */
import type { Transform } from 'node:stream';
import { SectorCryptError } from '../errors.js';
import { XtsCipher, type XtsOptions } from '../xts.js';
import { checkOptionKeys } from '../options.js';
import type { BatchCodec } from './codec.js';
import { nodeTransform } from './node.js';
import { webTransform } from './web.js';

export interface SectorStreamOptions extends XtsOptions {
  /** Number of the first sector in the stream (its tweak). Default 0. */
  firstSector?: number | bigint;
}

/** About 1 MiB of sectors per thread-pool job. */
const BATCH_BYTES = 1024 * 1024;

function checkFirst(first: unknown): bigint {
  if (first === undefined) return 0n;
  if (typeof first === 'number' && Number.isSafeInteger(first) && first >= 0) return BigInt(first);
  if (typeof first === 'bigint' && first >= 0n) return first;
  throw new SectorCryptError('ERR_ARGUMENT', 'firstSector must be a non-negative integer or bigint');
}

function sectorCodec(key: Uint8Array, opts: SectorStreamOptions | undefined, encrypt: boolean): BatchCodec {
  const { firstSector, ...xtsOptions } = checkOptionKeys(
    opts,
    ['firstSector', 'sectorSize', 'ivSectorSize', 'backend', 'kernel'],
    'sector stream options',
  );
  let next = checkFirst(firstSector);
  const cipher = new XtsCipher(key, xtsOptions);
  const size = cipher.sectorSize;
  // No `out`: the cipher's own output memory is recycled once the consumer drops it, and
  // the stream's batch buffer is refilled, so neither is fresh memory.
  const run = (input: Uint8Array) => {
    const first = next;
    next += BigInt(input.length / size);
    return encrypt ? cipher.encryptSectorsAsync(input, first) : cipher.decryptSectorsAsync(input, first);
  };
  return {
    headBytes: 0,
    unit: size,
    batchBytes: Math.max(1, Math.floor(BATCH_BYTES / size)) * size,
    head: () => undefined,
    batch: (input) => run(input),
    async finish(rest, emit) {
      const whole = rest.length - (rest.length % size);
      if (whole > 0) emit(await run(rest.subarray(0, whole)));
      if (whole < rest.length) {
        throw new SectorCryptError(
          'ERR_SECTOR_ALIGNMENT',
          `stream ended with a partial sector of ${rest.length - whole} bytes (sector size ${size})`,
        );
      }
    },
    close: () => cipher.destroy(),
  };
}

export function createSectorEncryptStream(key: Uint8Array, opts?: SectorStreamOptions): Transform {
  return nodeTransform(sectorCodec(key, opts, true));
}

export function createSectorDecryptStream(key: Uint8Array, opts?: SectorStreamOptions): Transform {
  return nodeTransform(sectorCodec(key, opts, false));
}

export function createSectorEncryptWebStream(key: Uint8Array, opts?: SectorStreamOptions): TransformStream<Uint8Array, Uint8Array> {
  return webTransform(sectorCodec(key, opts, true));
}

export function createSectorDecryptWebStream(key: Uint8Array, opts?: SectorStreamOptions): TransformStream<Uint8Array, Uint8Array> {
  return webTransform(sectorCodec(key, opts, false));
}
