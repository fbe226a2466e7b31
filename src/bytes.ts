/** Byte helpers shared by the cipher layer: type checks, aliasing, wiping. */
import { SectorCryptError } from './errors.js';

/** Uint8Array or a subclass (Buffer); also a Uint8Array from another realm (vm, worker). */
export function isBytes(a: unknown): a is Uint8Array {
  return a instanceof Uint8Array || (ArrayBuffer.isView(a) && a.constructor?.name === 'Uint8Array');
}

/** Throws ERR_ARGUMENT unless `value` is a Uint8Array. */
export function checkBytes(value: unknown, name: string): Uint8Array {
  if (!isBytes(value)) throw new SectorCryptError('ERR_ARGUMENT', `${name} must be a Uint8Array`);
  return value;
}

/** A fresh copy: `new Uint8Array(view)` copies, where Buffer#slice would share memory. */
export function copyBytes(bytes: Uint8Array): Uint8Array {
  return new Uint8Array(bytes);
}

/** True when the two views share at least one byte of memory. */
export function overlaps(a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength === 0 || b.byteLength === 0 || a.buffer !== b.buffer) return false;
  return a.byteOffset < b.byteOffset + b.byteLength && b.byteOffset < a.byteOffset + a.byteLength;
}

/**
 * Returns `input`, or a copy of it when it shares memory with `out` without starting at
 * the same byte. Backends handle exact in-place work; a shifted overlap would overwrite
 * input that is still to be read.
 */
export function unalias(input: Uint8Array, out: Uint8Array): Uint8Array {
  if (overlaps(input, out) && input.byteOffset !== out.byteOffset) return copyBytes(input);
  return input;
}

/** Copies `input` when it shares any memory with `out` (small inputs read after writing starts). */
export function detach(input: Uint8Array, out: Uint8Array): Uint8Array {
  return overlaps(input, out) ? copyBytes(input) : input;
}

/**
 * The output view: a new array of `length` bytes, `out` itself when it is exactly that long,
 * or a view of its first `length` bytes.
 * Throws ERR_ARGUMENT when `out` is not a Uint8Array or is too short.
 */
export function outputView(out: unknown, length: number): Uint8Array {
  if (out === undefined) return new Uint8Array(length);
  if (!isBytes(out)) throw new SectorCryptError('ERR_ARGUMENT', 'out must be a Uint8Array');
  if (out.length < length) {
    throw new SectorCryptError('ERR_ARGUMENT', `out must hold at least ${length} bytes, it has ${out.length}`);
  }
  return out.length === length ? out : out.subarray(0, length);
}

/** Compares in time that depends on the length only, so a key check leaks no key bits. */
export function equalConstantTime(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i] ^ b[i];
  return diff === 0;
}

/** Overwrites secrets and scratch space that held them. */
export function wipe(...arrays: (Uint8Array | Uint32Array | undefined)[]): void {
  for (const a of arrays) a?.fill(0);
}
