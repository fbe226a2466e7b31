/**
 * Writes the cases the arm64 checks run (scripts/test-arm64.sh): the known answers the JS
 * tests use (NIST XTS, IEEE 1619, NIST GCM) and random inputs with the outputs of this
 * machine's x86 kernels (every kernel the CPU runs must agree, and node:crypto where it has
 * the mode). Both the native harness (test/arm64-kernel.cc) and the arm64 Node run
 * (test/arm64-node.mjs) read the file, one case per line, hex fields, '-' for empty:
 *
 *   xts-unit    KEY TWEAK PT CT
 *   xts-sectors KEY SECTOR_SIZE TWEAK_STEP FIRST_SECTOR PT CT   (tweak = sector * step)
 *   gcm         KEY NONCE AAD PT SEALED                         (SEALED = CT || TAG)
 *   gcm-fail    KEY NONCE AAD SEALED                            (open must refuse)
 *   gcm-chunks  KEY BASE_NONCE CHUNK_SIZE FIRST_INDEX PT SEALED
 *
 * Usage: node --import tsx test/arm64-cases.ts OUT_FILE
 */
import { createCipheriv, type CipherGCMTypes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { AesGcm, XtsCipher, backendInfo } from '../src/index.js';
import { loadNative } from '../src/backend/native.js';
import { concat, toHex } from './bytes.js';
import { Rng } from './rng.js';
import { gcmNist, ieee1619, xtsNist } from './vectors.js';

const out = process.argv[2];
if (!out) throw new Error('usage: arm64-cases.ts OUT_FILE');

const kernels = loadNative().kernels;
if (kernels.length === 0) throw new Error(`no x86 kernel to compute the random cases: ${backendInfo().reason}`);
const rng = new Rng();
const lines: string[] = [];
const hex = (b: Uint8Array) => (b.length === 0 ? '-' : toHex(b));

/** The same output from every x86 kernel, or an error naming the case. */
function agreed(what: string, run: (kernel: string) => Uint8Array): Uint8Array {
  const first = run(kernels[0]);
  for (const k of kernels.slice(1)) {
    if (toHex(run(k)) !== toHex(first)) throw new Error(`${what}: kernels ${kernels[0]} and ${k} disagree (seed ${rng.seed})`);
  }
  return first;
}

function nodeXts(key: Uint8Array, tweak: Uint8Array, pt: Uint8Array): Uint8Array | undefined {
  if (key.length === 48) return undefined; // OpenSSL has no AES-192-XTS
  const c = createCipheriv(key.length === 32 ? 'aes-128-xts' : 'aes-256-xts', key, tweak);
  return new Uint8Array(Buffer.concat([c.update(pt), c.final()]));
}

function nodeGcm(key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, pt: Uint8Array): Uint8Array {
  const c = createCipheriv(`aes-${key.length * 8}-gcm` as CipherGCMTypes, key, nonce);
  c.setAAD(aad);
  return concat(c.update(pt), c.final(), c.getAuthTag());
}

function xtsKey(size: number): Uint8Array {
  for (;;) {
    const key = rng.bytes(size);
    if (toHex(key.subarray(0, size / 2)) !== toHex(key.subarray(size / 2))) return key;
  }
}

// --- Known answers.
for (const file of ['128', '256'].flatMap((s) => [
  `xts-nist/tweak-128hexstr/XTSGenAES${s}.rsp`,
  `xts-nist/tweak-dataunitseqno/XTSGenAES${s}.rsp`,
])) {
  for (const v of xtsNist(file)) {
    lines.push(`xts-unit ${hex(v.key)} ${hex(v.tweak)} ${hex(v.pt)} ${hex(v.ct)}`);
    if (v.seq !== undefined && v.pt.length % 16 === 0) {
      lines.push(`xts-sectors ${hex(v.key)} ${v.pt.length} 1 ${v.seq} ${hex(v.pt)} ${hex(v.ct)}`);
    }
  }
}
for (const v of ieee1619().filter((v) => v.id !== 1)) lines.push(`xts-unit ${hex(v.key)} ${hex(v.tweak)} ${hex(v.pt)} ${hex(v.ct)}`);
for (const size of [128, 192, 256]) {
  for (const v of gcmNist(`gcm-nist/gcmEncryptExtIV${size}.rsp`).filter((v) => v.ivBits === 96 && v.tagBits === 128)) {
    lines.push(`gcm ${hex(v.key)} ${hex(v.iv)} ${hex(v.aad)} ${hex(v.pt!)} ${hex(concat(v.ct, v.tag))}`);
  }
  for (const v of gcmNist(`gcm-nist/gcmDecrypt${size}.rsp`).filter((v) => v.ivBits === 96 && v.tagBits === 128)) {
    if (v.pt) lines.push(`gcm ${hex(v.key)} ${hex(v.iv)} ${hex(v.aad)} ${hex(v.pt)} ${hex(concat(v.ct, v.tag))}`);
    else lines.push(`gcm-fail ${hex(v.key)} ${hex(v.iv)} ${hex(v.aad)} ${hex(concat(v.ct, v.tag))}`);
  }
}
const known = lines.length;

// --- Random inputs, x86 outputs.
// Data units: every length from 16 to 300 bytes (every tail 0..15 after 0..17 whole blocks,
// so ciphertext stealing after every interleave remainder), then a few long odd ones.
const unitLengths = [...Array.from({ length: 285 }, (_, i) => 16 + i), 1023, 4096 + 13, 65536 + 1];
for (const keySize of [32, 48, 64]) {
  for (const len of unitLengths) {
    const key = xtsKey(keySize);
    const tweak = rng.bytes(16);
    const pt = rng.bytes(len);
    const ct = agreed(`xts-unit ${keySize} ${len}`, (kernel) => new XtsCipher(key, { backend: 'native', kernel }).encrypt(tweak, pt));
    const ref = nodeXts(key, tweak, pt);
    if (ref && toHex(ref) !== toHex(ct)) throw new Error(`xts-unit ${keySize} ${len}: node:crypto disagrees (seed ${rng.seed})`);
    lines.push(`xts-unit ${hex(key)} ${hex(tweak)} ${hex(pt)} ${hex(ct)}`);
  }
}

// Sectors: every sector size from 16 to 272 bytes (every remainder of the 8-block step),
// the common ones, a tweak step of 8 (4 KiB sectors, 512-byte IV sectors), 1 to 17 sectors
// (whole and partial batches of 8 tweaks), first sectors near 0 and near 2^64 (the tweak
// then passes 2^64 when step > 1).
const sectorShapes: [number, number][] = [
  ...Array.from({ length: 17 }, (_, i): [number, number] => [16 * (i + 1), 16 * (i + 1)]),
  [512, 512],
  [4096, 4096],
  [4096, 512],
  [65536, 4096],
];
for (const keySize of [32, 48, 64]) {
  for (const [sectorSize, ivSectorSize] of sectorShapes) {
    for (const count of [1, 3, 8, 9, 17]) {
      if (sectorSize * count > 1 << 20) continue;
      const key = xtsKey(keySize);
      const step = sectorSize / ivSectorSize;
      const high = rng.int(2) === 1;
      const first = high ? 2n ** 64n - BigInt(count) - BigInt(rng.int(4)) : BigInt(rng.int(1 << 30));
      const pt = rng.bytes(sectorSize * count);
      const ct = agreed(`xts-sectors ${keySize} ${sectorSize}`, (kernel) =>
        new XtsCipher(key, { backend: 'native', kernel, sectorSize, ivSectorSize }).encryptSectors(pt, first),
      );
      lines.push(`xts-sectors ${hex(key)} ${sectorSize} ${step} ${first} ${hex(pt)} ${hex(ct)}`);
    }
  }
}

// GCM: every text length from 0 to 300 bytes (every tail after 0..18 blocks, around the
// 8-block group), long ones, AAD of every length from 0 to 40 and past a group.
const gcmLengths = [...Array.from({ length: 301 }, (_, i) => i), 1000, 4096, 65536 + 5];
const aadLengths = [...Array.from({ length: 41 }, (_, i) => i), 128, 129, 300];
for (const keySize of [16, 24, 32]) {
  gcmLengths.forEach((len, i) => {
    const key = rng.bytes(keySize);
    const nonce = rng.bytes(12);
    const aad = rng.bytes(aadLengths[i % aadLengths.length]);
    const pt = rng.bytes(len);
    const sealed = agreed(`gcm ${keySize} ${len}`, (kernel) => new AesGcm(key, { backend: 'native', kernel }).seal(nonce, pt, aad));
    if (toHex(nodeGcm(key, nonce, aad, pt)) !== toHex(sealed))
      throw new Error(`gcm ${keySize} ${len}: node:crypto disagrees (seed ${rng.seed})`);
    lines.push(`gcm ${hex(key)} ${hex(nonce)} ${hex(aad)} ${hex(pt)} ${hex(sealed)}`);
    if (i % 7 === 0) {
      // A flipped bit in the text, the tag or the AAD must be refused.
      const bad = sealed.slice();
      bad[rng.int(bad.length)] ^= 1 << rng.int(8);
      lines.push(`gcm-fail ${hex(key)} ${hex(nonce)} ${hex(aad)} ${hex(bad)}`);
      const badAad = concat(aad, new Uint8Array([1]));
      lines.push(`gcm-fail ${hex(key)} ${hex(nonce)} ${hex(badAad)} ${hex(sealed)}`);
    }
  });
  for (const [chunkSize, count] of [
    [1, 5],
    [64, 3],
    [100, 9],
    [4096, 4],
    [65536, 2],
  ]) {
    const key = rng.bytes(keySize);
    const base = rng.bytes(12);
    const first = rng.int(2) === 1 ? 2 ** 53 - 1 - count : rng.int(1000);
    const pt = rng.bytes(chunkSize * count);
    const sealed = agreed(`gcm-chunks ${keySize} ${chunkSize}`, (kernel) =>
      new AesGcm(key, { backend: 'native', kernel }).sealChunks(base, pt, chunkSize, first),
    );
    lines.push(`gcm-chunks ${hex(key)} ${hex(base)} ${chunkSize} ${first} ${hex(pt)} ${hex(sealed)}`);
  }
}

writeFileSync(out, lines.join('\n') + '\n');
console.log(
  `${lines.length} cases (${known} known answers, ${lines.length - known} random, x86 kernels ${kernels.join(', ')}, seed ${rng.seed}) in ${out}`,
);
