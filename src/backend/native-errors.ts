/**
 * The addon checks every length again (native/args.h) and throws plain TypeError and
 * RangeError; a key used after destroy() throws "key was destroyed" (native/key_store.h).
 * The cipher layer validates first, so these surface only on a race (destroy() while an
 * async job is queued) or a bug; either way the caller sees a SectorCryptError with a code.
 */
import { SectorCryptError } from '../errors.js';
import type { GcmKeyHandle, XtsKeyHandle } from './types.js';

/** Message of native/key_store.h's use-after-destroy check. */
const DESTROYED = 'key was destroyed';

export function fromAddon(err: unknown): unknown {
  if (err instanceof SectorCryptError || !(err instanceof Error)) return err;
  if (err.message === DESTROYED) return new SectorCryptError('ERR_CLOSED', 'the key was destroyed', { cause: err });
  if (err instanceof TypeError || err instanceof RangeError) {
    return new SectorCryptError('ERR_ARGUMENT', `native backend refused the call: ${err.message}`, { cause: err });
  }
  return err;
}

function rethrow(err: unknown): never {
  throw fromAddon(err);
}

/** Runs a sync addon call; its errors come out coded. */
function sync<R>(call: () => R): R {
  try {
    return call();
  } catch (err) {
    return rethrow(err);
  }
}

/** Runs an async addon call, which may throw before it returns its promise. */
function later<R>(call: () => Promise<R>): Promise<R> {
  try {
    return call().catch(rethrow);
  } catch (err) {
    return Promise.reject(fromAddon(err));
  }
}

export function codedXtsKey(key: XtsKeyHandle): XtsKeyHandle {
  return {
    encryptSectors: (src, dst, size, tweak, step) => sync(() => key.encryptSectors(src, dst, size, tweak, step)),
    decryptSectors: (src, dst, size, tweak, step) => sync(() => key.decryptSectors(src, dst, size, tweak, step)),
    encryptSectorsAsync: (src, dst, size, tweak, step) => later(() => key.encryptSectorsAsync(src, dst, size, tweak, step)),
    decryptSectorsAsync: (src, dst, size, tweak, step) => later(() => key.decryptSectorsAsync(src, dst, size, tweak, step)),
    encryptUnit: (tweak, src, dst) => sync(() => key.encryptUnit(tweak, src, dst)),
    decryptUnit: (tweak, src, dst) => sync(() => key.decryptUnit(tweak, src, dst)),
    destroy: () => key.destroy(),
  };
}

export function codedGcmKey(key: GcmKeyHandle): GcmKeyHandle {
  return {
    seal: (nonce, plaintext, aad, dst) => sync(() => key.seal(nonce, plaintext, aad, dst)),
    open: (nonce, sealed, aad, dst) => sync(() => key.open(nonce, sealed, aad, dst)),
    sealChunks: (base, src, size, first, dst) => sync(() => key.sealChunks(base, src, size, first, dst)),
    openChunks: (base, src, size, first, dst) => sync(() => key.openChunks(base, src, size, first, dst)),
    sealChunksAsync: (base, src, size, first, dst) => later(() => key.sealChunksAsync(base, src, size, first, dst)),
    openChunksAsync: (base, src, size, first, dst) => later(() => key.openChunksAsync(base, src, size, first, dst)),
    destroy: () => key.destroy(),
  };
}
