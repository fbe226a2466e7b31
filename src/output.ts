/**
 * Memory for results the library allocates (calls made without `out`).
 *
 * Everything here is ordinary V8 memory: it is accounted for and collected on V8's own
 * schedule, in synchronous loops too; nothing waits for a finalizer. Two things keep it
 * close to the speed of a reused `out`:
 * - Results over 64 KiB are not zero-filled: every caller overwrites the whole result
 *   before anyone can read it (a failed open zeroes what it wrote), and the ArrayBuffer is
 *   the result's alone.
 * - Results of 4 to 64 KiB are carved from a larger block, one block per power-of-two
 *   size class, so that a 16 KiB message costs a fraction of an ArrayBuffer allocation
 *   (about 1.5 us each, as much as sealing 16 KiB). A block lives while any result carved
 *   from it does: a kept result holds at most 16 times its size class. `result.buffer` is
 *   the whole block, so blocks start zeroed: the part not yet handed out shows no stale
 *   heap bytes.
 */

/** Results from SLAB_MIN to SLAB_MAX bytes share blocks. */
const SLAB_MIN = 4 * 1024;
const SLAB_MAX = 64 * 1024;
/** Pieces per block, in the size class's units. */
const PIECES = 16;
/** Pieces start on cache-line boundaries, so two results never share a line. */
const ALIGN = 64;

interface Slab {
  buffer: ArrayBuffer;
  used: number;
}

/** The current block of each size class (4, 8, 16, 32, 64 KiB). */
const slabs = new Map<number, Slab>();

/** A new ArrayBuffer of `length` bytes whose content is unspecified. */
function uninitialized(length: number): ArrayBuffer {
  // allocUnsafeSlow gives the Buffer its own ArrayBuffer, not a slice of Node's shared pool.
  return Buffer.allocUnsafeSlow(length).buffer as ArrayBuffer;
}

function sizeClass(length: number): number {
  let size = SLAB_MIN;
  while (size < length) size *= 2;
  return size;
}

/**
 * A new Uint8Array of `length` bytes that shares memory with no other live result. Its
 * bytes are unspecified: the caller must overwrite all of them.
 */
export function newOutput(length: number): Uint8Array {
  if (length < SLAB_MIN) return new Uint8Array(length);
  if (length > SLAB_MAX) return new Uint8Array(uninitialized(length), 0, length);
  const size = sizeClass(length);
  let slab = slabs.get(size);
  if (slab === undefined || slab.used + length > slab.buffer.byteLength) {
    slab = { buffer: new ArrayBuffer(size * PIECES), used: 0 };
    slabs.set(size, slab);
  }
  const piece = new Uint8Array(slab.buffer, slab.used, length);
  slab.used += Math.ceil(length / ALIGN) * ALIGN;
  return piece;
}
