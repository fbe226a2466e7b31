/**
 * Shamir's secret sharing over GF(2^8), byte by byte (docs/envelope.md "Threshold groups"). The
 * field is the AES one, GF(2)[x] / (x^8 + x^4 + x^3 + x + 1) (FIPS 197 section 4.2), as
 * SLIP-0039 uses; the secret is the value at x = 0, shares are the values at x = 1..255.
 * Multiplication is a fixed sequence of shifts and masks (no tables indexed by secret bytes),
 * so its timing does not depend on the secret or the random coefficients.
 */
import { randomBytes } from 'node:crypto';
import { wipe } from '../bytes.js';
import { SectorCryptError } from '../errors.js';

export interface Share {
  /** The x coordinate, 1 to 255 (public). */
  index: number;
  /** The y coordinates, one per secret byte (secret). */
  value: Uint8Array;
}

/** a * b in GF(2^8) mod 0x11b, without branches or lookups on the operands. */
export function gfMul(a: number, b: number): number {
  let product = 0;
  for (let i = 0; i < 8; i++) {
    product ^= -(b & 1) & a;
    // xtime (FIPS 197 section 4.2.1): a * x, reduced by 0x1b when bit 7 falls out.
    a = ((a << 1) ^ (-(a >> 7) & 0x1b)) & 0xff;
    b >>= 1;
  }
  return product & 0xff;
}

/** a^-1 as a^254 (the multiplicative group has 255 elements); only public x values are inverted. */
function gfInv(a: number): number {
  if (a === 0) throw new SectorCryptError('ERR_ARGUMENT', 'zero has no inverse in GF(2^8)');
  let result = 1;
  let power = a;
  for (let e = 254; e > 0; e >>= 1) {
    if (e & 1) result = gfMul(result, power);
    power = gfMul(power, power);
  }
  return result;
}

function checkIndexes(indexes: readonly number[]): void {
  const seen = new Set<number>();
  for (const x of indexes) {
    if (!Number.isInteger(x) || x < 1 || x > 255) throw new SectorCryptError('ERR_ARGUMENT', 'share indexes are 1 to 255');
    if (seen.has(x)) throw new SectorCryptError('ERR_ARGUMENT', `share index ${x} appears twice`);
    seen.add(x);
  }
}

/**
 * Splits `secret` into one share per index (default 1..n): any `k` of them give it back, fewer
 * give nothing about it. The caller wipes the shares' values.
 */
export function splitSecret(secret: Uint8Array, k: number, indexes: readonly number[]): Share[] {
  if (!Number.isInteger(k) || k < 1 || k > indexes.length)
    throw new SectorCryptError('ERR_ARGUMENT', 'k must be 1 to the number of shares');
  checkIndexes(indexes);
  // coefficients[j * len + b]: the x^(j+1) coefficient of byte b's polynomial.
  const coefficients = new Uint8Array(randomBytes((k - 1) * secret.length));
  try {
    return indexes.map((x) => {
      const value = new Uint8Array(secret.length);
      for (let b = 0; b < secret.length; b++) {
        // Horner: ((a_{k-1} x + a_{k-2}) x + ... + a_1) x + secret.
        let y = 0;
        for (let j = k - 2; j >= 0; j--) y = gfMul(y ^ coefficients[j * secret.length + b], x);
        value[b] = y ^ secret[b];
      }
      return { index: x, value };
    });
  } finally {
    wipe(coefficients);
  }
}

/**
 * The value at `at` of the polynomial through these shares (Lagrange interpolation): at 0 the
 * secret, at a new index a new share of the same polynomial. The shares are taken as given: k
 * of them with distinct indexes; a wrong share gives a wrong value, caught by the header MAC.
 */
export function interpolate(shares: readonly Share[], at = 0): Uint8Array {
  if (shares.length === 0) throw new SectorCryptError('ERR_ARGUMENT', 'no shares to combine');
  checkIndexes(shares.map((s) => s.index));
  if (at !== 0 && shares.some((s) => s.index === at)) throw new SectorCryptError('ERR_ARGUMENT', `share ${at} is already among them`);
  const length = shares[0].value.length;
  if (shares.some((s) => s.value.length !== length)) throw new SectorCryptError('ERR_ARGUMENT', 'shares differ in length');
  const out = new Uint8Array(length);
  for (const [i, share] of shares.entries()) {
    // l_i(at) = prod_{j != i} (at - x_j) / (x_i - x_j); in GF(2^8) minus is xor.
    let num = 1;
    let den = 1;
    for (const [j, other] of shares.entries()) {
      if (j === i) continue;
      num = gfMul(num, at ^ other.index);
      den = gfMul(den, share.index ^ other.index);
    }
    const weight = gfMul(num, gfInv(den));
    for (let b = 0; b < length; b++) out[b] ^= gfMul(share.value[b], weight);
  }
  return out;
}
