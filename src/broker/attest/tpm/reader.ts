/**
 * A bounds-checked reader for TPM wire structures (big-endian, TPM 2.0 Part 1 §18 "Data
 * Marshaling") and event logs (little-endian). Every read past the end, every size field past
 * what is left, is ERR_CORRUPT_HEADER naming the structure: bytes from a device never crash
 * the broker or allocate what a size field claims.
 */
import { SectorCryptError } from '../../../errors.js';

export function tpmFormatError(what: string, why: string): SectorCryptError {
  return new SectorCryptError('ERR_CORRUPT_HEADER', `${what}: ${why}`);
}

export class ByteReader {
  private pos = 0;

  constructor(
    private readonly bytes: Uint8Array,
    /** Named in errors: "TPMS_ATTEST", "TCG2 event log". */
    readonly what: string,
    private readonly littleEndian = false,
  ) {}

  get offset(): number {
    return this.pos;
  }

  get remaining(): number {
    return this.bytes.length - this.pos;
  }

  private need(n: number, field: string): void {
    if (n > this.remaining) throw tpmFormatError(this.what, `${field} needs ${n} bytes at offset ${this.pos}, ${this.remaining} left`);
  }

  u8(field = 'byte'): number {
    this.need(1, field);
    return this.bytes[this.pos++]!;
  }

  u16(field = 'UINT16'): number {
    this.need(2, field);
    const [a, b] = [this.bytes[this.pos]!, this.bytes[this.pos + 1]!];
    this.pos += 2;
    return this.littleEndian ? a | (b << 8) : (a << 8) | b;
  }

  u32(field = 'UINT32'): number {
    this.need(4, field);
    const v = Buffer.from(this.bytes.buffer, this.bytes.byteOffset + this.pos, 4);
    this.pos += 4;
    return this.littleEndian ? v.readUInt32LE(0) : v.readUInt32BE(0);
  }

  u64(field = 'UINT64'): bigint {
    this.need(8, field);
    const v = Buffer.from(this.bytes.buffer, this.bytes.byteOffset + this.pos, 8);
    this.pos += 8;
    return this.littleEndian ? v.readBigUInt64LE(0) : v.readBigUInt64BE(0);
  }

  /** `n` bytes as a view into the input. */
  bytesOf(n: number, field: string): Uint8Array {
    this.need(n, field);
    const out = this.bytes.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  /** A TPM2B: UINT16 size then that many bytes; `max` is the structure's own bound. */
  tpm2b(field: string, max = 0xffff): Uint8Array {
    const size = this.u16(`${field}.size`);
    if (size > max) throw tpmFormatError(this.what, `${field}.size ${size} exceeds ${max}`);
    return this.bytesOf(size, field);
  }

  /** The input must be used up. */
  end(): void {
    if (this.remaining !== 0) throw tpmFormatError(this.what, `${this.remaining} bytes after the structure`);
  }
}

export function u16be(n: number): Uint8Array {
  return new Uint8Array([(n >>> 8) & 0xff, n & 0xff]);
}

export function u32be(n: number): Uint8Array {
  return new Uint8Array([(n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff]);
}

export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('hex');
}
