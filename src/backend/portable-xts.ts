/**
 * AES-XTS (IEEE 1619-2007) on @noble/ciphers' AES block function.
 *
 * noble has no XTS, and its public ECB expands the key on every call. So this holds the
 * three expanded schedules (data key for each direction, tweak key) and runs XEX in one
 * pass per block through noble's word-level block function (`unsafe.encrypt/decrypt`,
 * pinned by the exact version in package-lock.json): load four words, XOR the tweak, one
 * AES, XOR again, store, double the tweak. No tweak buffer, no second pass.
 */
import { unsafe } from '@noble/ciphers/aes.js';
import { SectorCryptError } from '../errors.js';
import { copyBytes, overlaps, wipe } from '../bytes.js';
import type { XtsKeyHandle } from './types.js';

type Direction = 'encrypt' | 'decrypt';
type BlockFn = (xk: Uint32Array, s0: number, s1: number, s2: number, s3: number) => { s0: number; s1: number; s2: number; s3: number };

/** Expanded schedules: noble's little-endian word form. */
interface Schedules {
  enc: Uint32Array;
  dec: Uint32Array;
  tweak: Uint32Array;
}

/** A tweak as four little-endian 32-bit words, mutated in place. */
type Tweak = [number, number, number, number];

/** T = T * x in GF(2^128), IEEE 1619 order: a left shift with x^128 folded back as 0x87. */
function double(t: Tweak): void {
  const carry = t[3] >>> 31;
  t[3] = ((t[3] << 1) | (t[2] >>> 31)) >>> 0;
  t[2] = ((t[2] << 1) | (t[1] >>> 31)) >>> 0;
  t[1] = ((t[1] << 1) | (t[0] >>> 31)) >>> 0;
  t[0] = ((t[0] << 1) ^ (-carry & 0x87)) >>> 0;
}

function view(a: Uint8Array): DataView {
  return new DataView(a.buffer, a.byteOffset, a.byteLength);
}

/** Encrypts a 16-byte value (read at `offset`) under the tweak key: the first tweak of a unit. */
function encryptTweak(xk: Uint32Array, v: DataView, offset: number): Tweak {
  const r = unsafe.encrypt(
    xk,
    v.getUint32(offset, true),
    v.getUint32(offset + 4, true),
    v.getUint32(offset + 8, true),
    v.getUint32(offset + 12, true),
  );
  return [r.s0 >>> 0, r.s1 >>> 0, r.s2 >>> 0, r.s3 >>> 0];
}

/**
 * dst = AES(src ^ T) ^ T for `blocks` blocks from byte `offset`, T doubling per block.
 * Leaves t at the tweak of the block after them. src and dst may be the same memory.
 */
function xex(fn: BlockFn, xk: Uint32Array, src: DataView, dst: DataView, offset: number, blocks: number, t: Tweak): void {
  let [t0, t1, t2, t3] = t;
  for (let b = 0, p = offset; b < blocks; b++, p += 16) {
    const r = fn(
      xk,
      src.getUint32(p, true) ^ t0,
      src.getUint32(p + 4, true) ^ t1,
      src.getUint32(p + 8, true) ^ t2,
      src.getUint32(p + 12, true) ^ t3,
    );
    dst.setUint32(p, r.s0 ^ t0, true);
    dst.setUint32(p + 4, r.s1 ^ t1, true);
    dst.setUint32(p + 8, r.s2 ^ t2, true);
    dst.setUint32(p + 12, r.s3 ^ t3, true);
    const carry = t3 >>> 31;
    t3 = ((t3 << 1) | (t2 >>> 31)) >>> 0;
    t2 = ((t2 << 1) | (t1 >>> 31)) >>> 0;
    t1 = ((t1 << 1) | (t0 >>> 31)) >>> 0;
    t0 = ((t0 << 1) ^ (-carry & 0x87)) >>> 0;
  }
  ((t[0] = t0), (t[1] = t1), (t[2] = t2), (t[3] = t3));
}

function blockFn(dir: Direction): BlockFn {
  return dir === 'encrypt' ? unsafe.encrypt : unsafe.decrypt;
}

function dataSchedule(k: Schedules, dir: Direction): Uint32Array {
  return dir === 'encrypt' ? k.enc : k.dec;
}

/** Adds a small number (< 2^32) to a 128-bit little-endian integer held as four words. */
function addSmall(words: number[], n: number): void {
  let carry = n;
  for (let i = 0; i < 4 && carry !== 0; i++) {
    const sum = words[i] + carry;
    words[i] = sum >>> 0;
    carry = sum > 0xffffffff ? 1 : 0;
  }
}

function sectors(
  dir: Direction,
  keys: Schedules,
  src: Uint8Array,
  dst: Uint8Array,
  sectorSize: number,
  firstTweak: Uint8Array,
  tweakStep: number,
): void {
  if (overlaps(src, dst) && src.byteOffset !== dst.byteOffset) src = copyBytes(src);
  const total = src.length / sectorSize;
  const first = view(firstTweak);
  const counter = [0, 4, 8, 12].map((i) => first.getUint32(i, true));
  const seed = new Uint8Array(16);
  const seedView = view(seed);
  const from = view(src);
  const to = view(dst);
  const fn = blockFn(dir);
  const xk = dataSchedule(keys, dir);
  for (let s = 0; s < total; s++) {
    for (let i = 0; i < 4; i++) seedView.setUint32(i * 4, counter[i], true);
    addSmall(counter, tweakStep);
    // Tweaks are always encrypted, also when the data is decrypted.
    xex(fn, xk, from, to, s * sectorSize, sectorSize / 16, encryptTweak(keys.tweak, seedView, 0));
  }
}

/**
 * One data unit with ciphertext stealing. With m whole blocks and r > 0 trailing bytes,
 * the last whole block and the short block swap places: the short block takes the head of
 * block m-1's output, block m-1 is redone over (short block || rest of that output) under
 * tweak m. Decryption undoes this, so it uses tweak m before tweak m-1.
 */
function unit(dir: Direction, keys: Schedules, tweak: Uint8Array, src: Uint8Array, dst: Uint8Array): void {
  if (overlaps(src, dst) && src.byteOffset !== dst.byteOffset) src = copyBytes(src);
  const n = src.length;
  const r = n % 16;
  const m = (n - r) / 16;
  const fn = blockFn(dir);
  const xk = dataSchedule(keys, dir);
  const t = encryptTweak(keys.tweak, view(tweak), 0);
  const from = view(src);
  const to = view(dst);
  if (r === 0) return xex(fn, xk, from, to, 0, m, t);
  xex(fn, xk, from, to, 0, m - 1, t);
  // t is now T_{m-1}; the block before the short one uses it, the joined block T_m.
  const tLast: Tweak = [...t];
  double(tLast);
  const [firstTweak, secondTweak] = dir === 'encrypt' ? [t, tLast] : [tLast, t];
  const head = new Uint8Array(16);
  const joined = new Uint8Array(16);
  try {
    const at = 16 * (m - 1);
    head.set(src.subarray(at, at + 16));
    xex(fn, xk, view(head), view(head), 0, 1, firstTweak);
    joined.set(src.subarray(at + 16));
    joined.set(head.subarray(r), r);
    xex(fn, xk, view(joined), view(joined), 0, 1, secondTweak);
    dst.set(head.subarray(0, r), at + 16);
    dst.set(joined, at);
  } finally {
    wipe(head, joined);
  }
}

/** Holds the three expanded schedules; destroy() wipes them. */
export class PortableXtsKey implements XtsKeyHandle {
  private schedules?: Schedules;

  constructor(key: Uint8Array) {
    const half = key.length / 2;
    const dataKey = copyBytes(key.subarray(0, half));
    const tweakKey = copyBytes(key.subarray(half));
    this.schedules = { enc: unsafe.expandKeyLE(dataKey), dec: unsafe.expandKeyDecLE(dataKey), tweak: unsafe.expandKeyLE(tweakKey) };
    wipe(dataKey, tweakKey);
  }

  private keys(): Schedules {
    if (!this.schedules) throw new SectorCryptError('ERR_CLOSED', 'XTS key was destroyed');
    return this.schedules;
  }

  encryptSectors(src: Uint8Array, dst: Uint8Array, sectorSize: number, firstTweak: Uint8Array, tweakStep: number): void {
    sectors('encrypt', this.keys(), src, dst, sectorSize, firstTweak, tweakStep);
  }

  decryptSectors(src: Uint8Array, dst: Uint8Array, sectorSize: number, firstTweak: Uint8Array, tweakStep: number): void {
    sectors('decrypt', this.keys(), src, dst, sectorSize, firstTweak, tweakStep);
  }

  // Pure JS cannot leave the event loop; the async forms run now and settle at once.
  async encryptSectorsAsync(
    src: Uint8Array,
    dst: Uint8Array,
    sectorSize: number,
    firstTweak: Uint8Array,
    tweakStep: number,
  ): Promise<void> {
    this.encryptSectors(src, dst, sectorSize, firstTweak, tweakStep);
  }

  async decryptSectorsAsync(
    src: Uint8Array,
    dst: Uint8Array,
    sectorSize: number,
    firstTweak: Uint8Array,
    tweakStep: number,
  ): Promise<void> {
    this.decryptSectors(src, dst, sectorSize, firstTweak, tweakStep);
  }

  encryptUnit(tweak: Uint8Array, src: Uint8Array, dst: Uint8Array): void {
    unit('encrypt', this.keys(), tweak, src, dst);
  }

  decryptUnit(tweak: Uint8Array, src: Uint8Array, dst: Uint8Array): void {
    unit('decrypt', this.keys(), tweak, src, dst);
  }

  destroy(): void {
    if (this.schedules) wipe(this.schedules.enc, this.schedules.dec, this.schedules.tweak);
    this.schedules = undefined;
  }
}
