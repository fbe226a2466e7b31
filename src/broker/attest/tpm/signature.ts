/** A TPMT_SIGNATURE checked with node:crypto against the signer's TPMT_PUBLIC. */
import { constants, verify } from 'node:crypto';
import { CURVES, HASHES, TPM_ALG } from './alg.js';
import type { TpmSignature } from './attest.js';
import { publicKeyObject, type TpmPublic } from './public.js';

/** ECDSA r, s as the IEEE P1363 form node:crypto takes (each left-padded to the curve size). */
function p1363(r: Uint8Array, s: Uint8Array, size: number): Buffer | null {
  const strip = (v: Uint8Array) => {
    let i = 0;
    while (i < v.length - 1 && v[i] === 0) i++;
    return v.subarray(i);
  };
  const [rr, ss] = [strip(r), strip(s)];
  if (rr.length > size || ss.length > size) return null;
  const out = Buffer.alloc(size * 2);
  out.set(rr, size - rr.length);
  out.set(ss, size * 2 - ss.length);
  return out;
}

/** Whether `sig` is `key`'s signature over `message`; a scheme that does not fit the key is false. */
export function verifyTpmSignature(key: TpmPublic, message: Uint8Array, sig: TpmSignature): boolean {
  const hash = HASHES[sig.hash]!.name;
  // A key whose scheme is fixed signs only with that scheme and hash (Part 1 §25.1 "Signing").
  if (key.scheme !== TPM_ALG.NULL && (key.scheme !== sig.sigAlg || key.schemeHash !== sig.hash)) return false;
  if (sig.sigAlg === TPM_ALG.ECDSA) {
    if (key.type !== 'ecc') return false;
    const raw = p1363(sig.r, sig.s, CURVES[key.curve]!.size);
    if (!raw) return false;
    return verify(hash, message, { key: publicKeyObject(key), dsaEncoding: 'ieee-p1363' }, raw);
  }
  if (key.type !== 'rsa') return false;
  const padding = sig.sigAlg === TPM_ALG.RSAPSS ? constants.RSA_PKCS1_PSS_PADDING : constants.RSA_PKCS1_PADDING;
  // TPM RSAPSS salt: as large as the hash (Part 1 §B.7 and its note on the salt size).
  const saltLength = sig.sigAlg === TPM_ALG.RSAPSS ? HASHES[sig.hash]!.size : undefined;
  return verify(hash, message, { key: publicKeyObject(key), padding, ...(saltLength !== undefined ? { saltLength } : {}) }, sig.sig);
}
