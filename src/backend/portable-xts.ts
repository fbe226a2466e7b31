/**
 * AES-XTS (IEEE 1619-2007) on @noble/ciphers' AES-ECB.
 *
 * noble has no XTS, and one noble call per 16-byte block would be slow (every call
 * validates and expands the key). So a batch runs as XEX in whole-buffer steps: write the
 * tweak of every block into one buffer, XOR it in, run one ECB call over all blocks,
 * XOR it in again.
 */
import { ecb } from '@noble/ciphers/aes.js';
import { SectorCryptError } from '../errors.js';
import { copyBytes, overlaps, wipe } from '../bytes.js';
import type { XtsKeyHandle } from './types.js';

type Direction = 'encrypt' | 'decrypt';

/** Bytes per ECB call. Bounds the tweak and scratch buffers whatever the batch size. */
const CHUNK = 256 * 1024;
const RAW = { disablePadding: true };
const isLE = new Uint8Array(Uint32Array.of(1).buffer)[0] === 1;

/** AES-ECB over `buf` in place. `buf` must be 4-byte aligned (noble reads it as words). */
function ecbInPlace(key: Uint8Array, dir: Direction, buf: Uint8Array): void {
  const cipher = ecb(key, RAW);
  if (dir === 'encrypt') cipher.encrypt(buf, buf);
  else cipher.decrypt(buf, buf);
}

function byteSwap32(words: Uint32Array): void {
  for (let i = 0; i < words.length; i++) {
    const w = words[i];
    words[i] = ((w & 0xff) << 24) | ((w & 0xff00) << 8) | ((w >>> 8) & 0xff00) | (w >>> 24);
  }
}

/**
 * From `units` encrypted tweaks in `seeds` (16 bytes each), writes `perUnit` block tweaks
 * per unit into `out`: T, T·x, T·x², ... in GF(2^128). IEEE 1619 reads a tweak as a
 * little-endian integer, so multiplying by x is a left shift by one with x^128 folded back
 * as 0x87 into the low byte.
 */
function expandTweaks(seeds: Uint8Array, units: number, perUnit: number, out: Uint32Array): void {
  const view = new DataView(seeds.buffer, seeds.byteOffset, seeds.byteLength);
  let o = 0;
  for (let u = 0; u < units; u++) {
    let w0 = view.getUint32(u * 16, true);
    let w1 = view.getUint32(u * 16 + 4, true);
    let w2 = view.getUint32(u * 16 + 8, true);
    let w3 = view.getUint32(u * 16 + 12, true);
    for (let j = 0; j < perUnit; j++) {
      out[o++] = w0;
      out[o++] = w1;
      out[o++] = w2;
      out[o++] = w3;
      const carry = w3 >>> 31;
      w3 = (w3 << 1) | (w2 >>> 31);
      w2 = (w2 << 1) | (w1 >>> 31);
      w1 = (w1 << 1) | (w0 >>> 31);
      w0 = (w0 << 1) ^ (-carry & 0x87);
    }
  }
  // The XOR below works on native-order words; keep the bytes in IEEE order on big-endian hosts.
  if (!isLE) byteSwap32(out.subarray(0, o));
}

function xor32(a: Uint32Array, b: Uint32Array): void {
  for (let i = 0; i < b.length; i++) a[i] ^= b[i];
}

/** dst = AES(src ^ T) ^ T per block, with `tweaks` holding T for every block of src. */
function xex(key: Uint8Array, dir: Direction, src: Uint8Array, dst: Uint8Array, tweaks: Uint32Array): void {
  if (src.length === 0) return;
  // Work in dst when noble can (aligned); otherwise in a scratch copy.
  const work = dst.byteOffset % 4 === 0 ? dst : new Uint8Array(src.length);
  if (work.buffer !== src.buffer || work.byteOffset !== src.byteOffset) work.set(src);
  const words = new Uint32Array(work.buffer, work.byteOffset, work.length / 4);
  xor32(words, tweaks);
  ecbInPlace(key, dir, work);
  xor32(words, tweaks);
  if (work !== dst) {
    dst.set(work);
    wipe(work);
  }
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
  dataKey: Uint8Array,
  tweakKey: Uint8Array,
  src: Uint8Array,
  dst: Uint8Array,
  sectorSize: number,
  firstTweak: Uint8Array,
  tweakStep: number,
): void {
  if (overlaps(src, dst) && src.byteOffset !== dst.byteOffset) src = copyBytes(src);
  const total = src.length / sectorSize;
  if (total === 0) return;
  const perChunk = Math.max(1, Math.floor(CHUNK / sectorSize));
  const most = Math.min(total, perChunk);
  const seeds = new Uint8Array(most * 16);
  const seedView = new DataView(seeds.buffer);
  const tweaks = new Uint32Array((most * sectorSize) / 4);
  const first = new DataView(firstTweak.buffer, firstTweak.byteOffset, 16);
  const counter = [0, 4, 8, 12].map((i) => first.getUint32(i, true));
  try {
    for (let s = 0; s < total; s += perChunk) {
      const units = Math.min(perChunk, total - s);
      for (let u = 0; u < units; u++) {
        for (let i = 0; i < 4; i++) seedView.setUint32(u * 16 + i * 4, counter[i], true);
        addSmall(counter, tweakStep);
      }
      // Tweaks are always made with the encrypting direction, also when decrypting data.
      const unitSeeds = seeds.subarray(0, units * 16);
      ecbInPlace(tweakKey, 'encrypt', unitSeeds);
      const t = tweaks.subarray(0, (units * sectorSize) / 4);
      expandTweaks(unitSeeds, units, sectorSize / 16, t);
      const start = s * sectorSize;
      const end = start + units * sectorSize;
      xex(dataKey, dir, src.subarray(start, end), dst.subarray(start, end), t);
    }
  } finally {
    wipe(seeds, tweaks);
  }
}

/**
 * One data unit with ciphertext stealing. With m whole blocks and r > 0 trailing bytes,
 * the last whole block and the short block swap places: the short block takes the head of
 * block m-1's output, block m-1 is redone over (short block || rest of that output) under
 * tweak m. Decryption undoes this, so it uses tweak m before tweak m-1.
 */
function unit(dir: Direction, dataKey: Uint8Array, tweakKey: Uint8Array, tweak: Uint8Array, src: Uint8Array, dst: Uint8Array): void {
  if (overlaps(src, dst) && src.byteOffset !== dst.byteOffset) src = copyBytes(src);
  const n = src.length;
  const r = n % 16;
  const full = n - r;
  const m = full / 16;
  const seed = copyBytes(tweak);
  ecbInPlace(tweakKey, 'encrypt', seed);
  const tweaks = new Uint32Array((r ? m + 1 : m) * 4);
  expandTweaks(seed, 1, r ? m + 1 : m, tweaks);
  const last = new Uint8Array(16);
  const held = new Uint8Array(16);
  try {
    if (r === 0) return xex(dataKey, dir, src, dst, tweaks);
    const tweakM1 = tweaks.subarray(4 * (m - 1), 4 * m);
    const tweakM = tweaks.subarray(4 * m);
    if (dir === 'encrypt') {
      xex(dataKey, dir, src.subarray(0, full), dst.subarray(0, full), tweaks.subarray(0, 4 * m));
      held.set(dst.subarray(full - 16, full));
      last.set(src.subarray(full));
      last.set(held.subarray(r), r);
      xex(dataKey, dir, last, last, tweakM);
      dst.set(last, full - 16);
      dst.set(held.subarray(0, r), full);
    } else {
      xex(dataKey, dir, src.subarray(0, full - 16), dst.subarray(0, full - 16), tweaks.subarray(0, 4 * (m - 1)));
      held.set(src.subarray(full - 16, full));
      last.set(src.subarray(full));
      xex(dataKey, dir, held, held, tweakM);
      last.set(held.subarray(r), r);
      xex(dataKey, dir, last, last, tweakM1);
      dst.set(last, full - 16);
      dst.set(held.subarray(0, r), full);
    }
  } finally {
    wipe(seed, tweaks, last, held);
  }
}

/** Holds copies of both key halves; noble expands them on each call and wipes the schedule. */
export class PortableXtsKey implements XtsKeyHandle {
  private dataKey?: Uint8Array;
  private tweakKey?: Uint8Array;

  constructor(key: Uint8Array) {
    const half = key.length / 2;
    this.dataKey = copyBytes(key.subarray(0, half));
    this.tweakKey = copyBytes(key.subarray(half));
  }

  private keys(): [Uint8Array, Uint8Array] {
    if (!this.dataKey || !this.tweakKey) throw new SectorCryptError('ERR_ARGUMENT', 'XTS key was destroyed');
    return [this.dataKey, this.tweakKey];
  }

  encryptSectors(src: Uint8Array, dst: Uint8Array, sectorSize: number, firstTweak: Uint8Array, tweakStep: number): void {
    sectors('encrypt', ...this.keys(), src, dst, sectorSize, firstTweak, tweakStep);
  }

  decryptSectors(src: Uint8Array, dst: Uint8Array, sectorSize: number, firstTweak: Uint8Array, tweakStep: number): void {
    sectors('decrypt', ...this.keys(), src, dst, sectorSize, firstTweak, tweakStep);
  }

  // Pure JS cannot leave the event loop; the async forms run now and settle at once.
  async encryptSectorsAsync(src: Uint8Array, dst: Uint8Array, sectorSize: number, firstTweak: Uint8Array, tweakStep: number): Promise<void> {
    this.encryptSectors(src, dst, sectorSize, firstTweak, tweakStep);
  }

  async decryptSectorsAsync(src: Uint8Array, dst: Uint8Array, sectorSize: number, firstTweak: Uint8Array, tweakStep: number): Promise<void> {
    this.decryptSectors(src, dst, sectorSize, firstTweak, tweakStep);
  }

  encryptUnit(tweak: Uint8Array, src: Uint8Array, dst: Uint8Array): void {
    unit('encrypt', ...this.keys(), tweak, src, dst);
  }

  decryptUnit(tweak: Uint8Array, src: Uint8Array, dst: Uint8Array): void {
    unit('decrypt', ...this.keys(), tweak, src, dst);
  }

  destroy(): void {
    wipe(this.dataKey, this.tweakKey);
    this.dataKey = undefined;
    this.tweakKey = undefined;
  }
}
