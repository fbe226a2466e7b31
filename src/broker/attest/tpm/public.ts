/**
 * TPMT_PUBLIC / TPM2B_PUBLIC (TPM 2.0 Part 2 §12.2.4, §12.2.5) for RSA and ECC keys, the
 * object Name (Part 1 §16 "Names": nameAlg || H_nameAlg(TPMT_PUBLIC)), and the key as a
 * node:crypto KeyObject.
 */
import { createHash, createPublicKey, type KeyObject } from 'node:crypto';
import { CURVES, HASHES, TPM_ALG, TPMA_OBJECT } from './alg.js';
import { ByteReader, concatBytes, tpmFormatError, u16be } from './reader.js';

export interface SymDef {
  /** TPM_ALG_NULL, or AES with keyBits and mode. */
  algorithm: number;
  keyBits: number;
  mode: number;
}

interface PublicCommon {
  nameAlg: number;
  attributes: number;
  authPolicy: Uint8Array;
  symmetric: SymDef;
  /** Signing/decryption scheme (TPM_ALG_NULL when none) and its hash. */
  scheme: number;
  schemeHash: number;
  /** The marshaled TPMT_PUBLIC, for the Name. */
  bytes: Uint8Array;
}

export interface RsaPublic extends PublicCommon {
  type: 'rsa';
  keyBits: number;
  exponent: number;
  modulus: Uint8Array;
}

export interface EccPublic extends PublicCommon {
  type: 'ecc';
  curve: number;
  kdf: number;
  x: Uint8Array;
  y: Uint8Array;
}

export type TpmPublic = RsaPublic | EccPublic;

const WHAT = 'TPMT_PUBLIC';

function readSymDef(r: ByteReader): SymDef {
  const algorithm = r.u16('symmetric.algorithm');
  if (algorithm === TPM_ALG.NULL) return { algorithm, keyBits: 0, mode: TPM_ALG.NULL };
  if (algorithm !== TPM_ALG.AES) throw tpmFormatError(WHAT, `symmetric algorithm 0x${algorithm.toString(16)} is not supported`);
  return { algorithm, keyBits: r.u16('symmetric.keyBits'), mode: r.u16('symmetric.mode') };
}

/** TPMT_PUBLIC from `r` (not necessarily to its end). */
function readTpmtPublic(r: ByteReader, start: number, all: Uint8Array): TpmPublic {
  const type = r.u16('type');
  const nameAlg = r.u16('nameAlg');
  if (!HASHES[nameAlg]) throw tpmFormatError(WHAT, `nameAlg 0x${nameAlg.toString(16)} is not supported`);
  const attributes = r.u32('objectAttributes');
  const authPolicy = r.tpm2b('authPolicy', 64);
  const symmetric = readSymDef(r);
  const scheme = r.u16('scheme');
  let schemeHash: number = TPM_ALG.NULL;
  if (scheme !== TPM_ALG.NULL) {
    schemeHash = r.u16('scheme.hashAlg');
    if (scheme === TPM_ALG.ECDAA) r.u16('scheme.count');
  }
  if (type === TPM_ALG.RSA) {
    const keyBits = r.u16('keyBits');
    const exponent = r.u32('exponent');
    const modulus = r.tpm2b('unique.rsa', 512);
    if (keyBits < 1024 || keyBits > 4096 || modulus.length !== keyBits / 8)
      throw tpmFormatError(WHAT, `RSA modulus of ${modulus.length} bytes for keyBits ${keyBits}`);
    return {
      type: 'rsa',
      nameAlg,
      attributes,
      authPolicy,
      symmetric,
      scheme,
      schemeHash,
      keyBits,
      exponent: exponent === 0 ? 65537 : exponent,
      modulus,
      bytes: all.subarray(start, r.offset),
    };
  }
  if (type === TPM_ALG.ECC) {
    const curve = r.u16('curveID');
    const kdf = r.u16('kdf.scheme');
    if (kdf !== TPM_ALG.NULL) r.u16('kdf.hashAlg');
    const x = r.tpm2b('unique.ecc.x', 66);
    const y = r.tpm2b('unique.ecc.y', 66);
    const c = CURVES[curve];
    if (!c) throw tpmFormatError(WHAT, `ECC curve 0x${curve.toString(16)} is not supported`);
    if (x.length !== c.size || y.length !== c.size)
      throw tpmFormatError(WHAT, `ECC point coordinates of ${x.length}/${y.length} bytes for ${c.jwk}`);
    return {
      type: 'ecc',
      nameAlg,
      attributes,
      authPolicy,
      symmetric,
      scheme,
      schemeHash,
      curve,
      kdf,
      x,
      y,
      bytes: all.subarray(start, r.offset),
    };
  }
  throw tpmFormatError(WHAT, `key type 0x${type.toString(16)} is not RSA or ECC`);
}

/** A TPMT_PUBLIC that is the whole input. */
export function parseTpmtPublic(bytes: Uint8Array): TpmPublic {
  const r = new ByteReader(bytes, WHAT);
  const pub = readTpmtPublic(r, 0, bytes);
  r.end();
  return pub;
}

/** A TPM2B_PUBLIC (size || TPMT_PUBLIC), as tpm2-tools write them (`-f tss`). */
export function parseTpm2bPublic(bytes: Uint8Array): TpmPublic {
  const r = new ByteReader(bytes, 'TPM2B_PUBLIC');
  const inner = r.tpm2b('publicArea');
  r.end();
  return parseTpmtPublic(inner);
}

/** TPM2B_PUBLIC or bare TPMT_PUBLIC: a TPM2B's size field equals the rest of the input. */
export function parsePublic(bytes: Uint8Array): TpmPublic {
  if (bytes.length >= 2 && ((bytes[0]! << 8) | bytes[1]!) === bytes.length - 2) return parseTpm2bPublic(bytes);
  return parseTpmtPublic(bytes);
}

/** The Name: nameAlg (UINT16) || H_nameAlg(TPMT_PUBLIC). */
export function objectName(pub: TpmPublic): Uint8Array {
  const hash = HASHES[pub.nameAlg]!;
  return concatBytes(u16be(pub.nameAlg), createHash(hash.name).update(pub.bytes).digest());
}

function b64url(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('base64url');
}

export function publicKeyObject(pub: TpmPublic): KeyObject {
  try {
    if (pub.type === 'rsa') {
      const e = Buffer.alloc(4);
      e.writeUInt32BE(pub.exponent);
      let i = 0;
      while (i < 3 && e[i] === 0) i++;
      return createPublicKey({ key: { kty: 'RSA', n: b64url(pub.modulus), e: b64url(e.subarray(i)) }, format: 'jwk' });
    }
    return createPublicKey({ key: { kty: 'EC', crv: CURVES[pub.curve]!.jwk, x: b64url(pub.x), y: b64url(pub.y) }, format: 'jwk' });
  } catch (cause) {
    // An ECC point not on its curve, an RSA modulus node:crypto refuses.
    throw tpmFormatError(WHAT, `not a valid public key (${(cause as Error).message})`);
  }
}

export function hasAttributes(pub: TpmPublic, ...names: (keyof typeof TPMA_OBJECT)[]): boolean {
  return names.every((n) => (pub.attributes & TPMA_OBJECT[n]) !== 0);
}

/** Which required attributes are missing (for a refusal that says which). */
export function missingAttributes(pub: TpmPublic, names: (keyof typeof TPMA_OBJECT)[]): string[] {
  return names.filter((n) => (pub.attributes & TPMA_OBJECT[n]) === 0);
}
