/**
 * TPM structures made in software for the parser and verifier tests that need no swtpm: an
 * AK's TPMT_PUBLIC around a node:crypto key, a TPMS_ATTEST of a quote and its TPMT_SIGNATURE.
 * Layouts from TPM 2.0 Part 2 (§12.2.4 TPMT_PUBLIC, §10.12.12 TPMS_ATTEST, §11.3.4 TPMT_SIGNATURE).
 */
import { createHash, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';

const u16 = (n: number) => Buffer.from([(n >> 8) & 0xff, n & 0xff]);
const u32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0);
  return b;
};
const u64 = (n: bigint) => {
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(n);
  return b;
};
const tpm2b = (b: Uint8Array) => Buffer.concat([u16(b.length), b]);

/** fixedTPM|fixedParent|sensitiveDataOrigin|userWithAuth|restricted|sign, as tpm2_createak sets them. */
export const AK_ATTRIBUTES = 0x00050072;

export interface SoftAk {
  privateKey: KeyObject;
  /** TPMT_PUBLIC */
  tpmt: Buffer;
  /** TPM2B_PUBLIC */
  public: Buffer;
  name: Buffer;
}

export function softEccAk(attributes = AK_ATTRIBUTES): SoftAk {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const jwk = publicKey.export({ format: 'jwk' });
  const tpmt = Buffer.concat([
    u16(0x0023),
    u16(0x000b),
    u32(attributes),
    tpm2b(Buffer.alloc(0)),
    u16(0x0010), // symmetric: NULL
    u16(0x0018),
    u16(0x000b), // scheme ECDSA sha256
    u16(0x0003), // NIST P-256
    u16(0x0010), // kdf NULL
    tpm2b(Buffer.from(jwk.x!, 'base64url')),
    tpm2b(Buffer.from(jwk.y!, 'base64url')),
  ]);
  return { privateKey, tpmt, public: tpm2b(tpmt), name: Buffer.concat([u16(0x000b), createHash('sha256').update(tpmt).digest()]) };
}

export interface AttestFields {
  magic?: number;
  type?: number;
  extraData: Uint8Array;
  pcrs: number[];
  pcrValues: Uint8Array[];
  resetCount?: number;
  selectionHash?: number;
}

export function softAttest(f: AttestFields): Buffer {
  const bitmap = Buffer.alloc(3);
  for (const n of f.pcrs) bitmap[n >> 3]! |= 1 << (n & 7);
  const digest = createHash('sha256').update(Buffer.concat(f.pcrValues)).digest();
  return Buffer.concat([
    u32(f.magic ?? 0xff544347),
    u16(f.type ?? 0x8018),
    tpm2b(Buffer.concat([u16(0x000b), Buffer.alloc(32, 7)])),
    tpm2b(f.extraData),
    u64(123456n),
    u32(f.resetCount ?? 3),
    u32(0),
    Buffer.from([1]),
    u64(0x2019102300163636n),
    u32(1),
    u16(f.selectionHash ?? 0x000b),
    Buffer.from([3]),
    bitmap,
    tpm2b(digest),
  ]);
}

export function softSign(ak: SoftAk, message: Uint8Array): Buffer {
  const raw = sign('sha256', message, { key: ak.privateKey, dsaEncoding: 'ieee-p1363' });
  return Buffer.concat([u16(0x0018), u16(0x000b), tpm2b(raw.subarray(0, 32)), tpm2b(raw.subarray(32))]);
}
