/**
 * XTS tweaks as 128-bit little-endian integers: the data unit sequence number of IEEE 1619
 * section 5.1, dm-crypt's plain64. The portable backend steps its tweaks the same way on
 * 32-bit words in place (src/backend/portable-xts.ts), where a bigint per sector would cost.
 */

/** value (0 .. 2^128-1) as 16 little-endian bytes. */
export function le128(value: bigint): Uint8Array {
  const bytes = new Uint8Array(16);
  const view = new DataView(bytes.buffer);
  view.setBigUint64(0, value & 0xffffffffffffffffn, true);
  view.setBigUint64(8, (value >> 64n) & 0xffffffffffffffffn, true);
  return bytes;
}

/** 16 little-endian bytes as a bigint. */
export function readLe128(bytes: Uint8Array): bigint {
  const view = new DataView(bytes.buffer, bytes.byteOffset, 16);
  return view.getBigUint64(0, true) | (view.getBigUint64(8, true) << 64n);
}

/** The tweak `count` steps of `step` after `tweak`. */
export function advanceTweak(tweak: Uint8Array, count: number, step: number): Uint8Array {
  return le128(readLe128(tweak) + BigInt(count) * BigInt(step));
}
