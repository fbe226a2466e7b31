/**
 * AES-256-GCM as the XKS API defines it (xks_proxy_api_spec.md "Encrypt", "Decrypt" and
 * "Appendix C: Ciphertext Data Integrity Value (CDIV) implementation guidelines"). The AAD given
 * to GCM is the "Encrypt" ciphertextMetadata rule with both lengths:
 *   uint16 big-endian len(additionalAuthenticatedData) || additionalAuthenticatedData ||
 *   uint8 len(ciphertextMetadata) || ciphertextMetadata
 * so that metadata passed as AAD (or the reverse) never decrypts. This proxy returns no
 * ciphertextMetadata; one given to Decrypt is authenticated all the same.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { XksError } from './errors.js';

const IV_BYTES = 12;
const TAG_BYTES = 16;

/** The AAD input of GCM ("Encrypt", ciphertextMetadata). */
export function gcmAad(aad: Uint8Array | undefined, ciphertextMetadata: Uint8Array | undefined): Buffer {
  const a = aad ?? new Uint8Array(0);
  const m = ciphertextMetadata ?? new Uint8Array(0);
  if (a.length > 0xffff || m.length > 0xff) throw new XksError('ValidationException', 'the AAD or the ciphertext metadata is too long');
  const out = Buffer.alloc(2 + a.length + 1 + m.length);
  out.writeUInt16BE(a.length, 0);
  out.set(a, 2);
  out.writeUInt8(m.length, 2 + a.length);
  out.set(m, 3 + a.length);
  return out;
}

export interface Sealed {
  ciphertext: Uint8Array;
  iv: Uint8Array;
  tag: Uint8Array;
  ciphertextMetadata?: Uint8Array;
}

export function encrypt(key: Uint8Array, plaintext: Uint8Array, aad: Uint8Array | undefined): Sealed {
  const iv = randomBytes(IV_BYTES);
  const c = createCipheriv('aes-256-gcm', key, iv);
  c.setAAD(gcmAad(aad, undefined));
  const ciphertext = Buffer.concat([c.update(plaintext), c.final()]);
  return { ciphertext, iv, tag: c.getAuthTag() };
}

/** Throws InvalidCiphertextException when the tag does not verify; the caller wipes the result. */
export function decrypt(key: Uint8Array, s: Sealed, aad: Uint8Array | undefined): Uint8Array {
  if ((s.iv.length !== 12 && s.iv.length !== 16) || s.tag.length !== TAG_BYTES)
    throw new XksError('InvalidCiphertextException', 'the IV is 12 or 16 bytes and the tag 16');
  const d = createDecipheriv('aes-256-gcm', key, s.iv, { authTagLength: TAG_BYTES });
  d.setAAD(gcmAad(aad, s.ciphertextMetadata));
  d.setAuthTag(s.tag);
  const body = d.update(s.ciphertext);
  try {
    d.final();
  } catch {
    body.fill(0);
    throw new XksError(
      'InvalidCiphertextException',
      'the ciphertext, IV, tag or additional authenticated data is corrupted or does not match',
    );
  }
  return body;
}

/** Appendix C: Base64 of SHA-256 over aad || ciphertextMetadata || iv || ciphertext || tag (absent fields empty). */
export function cdiv(aad: Uint8Array | undefined, s: Sealed): string {
  const h = createHash('sha256');
  for (const part of [aad, s.ciphertextMetadata, s.iv, s.ciphertext, s.tag]) if (part) h.update(part);
  return h.digest('base64');
}

/**
 * Encrypt with a CDIV, in Appendix C's order: encrypt, compute the CDIV, then decrypt what will
 * be returned and compare, so that a corruption between the two is an error, never a CDIV over
 * bytes that do not decrypt.
 */
export function encryptChecked(key: Uint8Array, plaintext: Uint8Array, aad: Uint8Array | undefined): Sealed & { cdiv: string } {
  const s = encrypt(key, plaintext, aad);
  const value = cdiv(aad, s);
  const back = decrypt(key, s, aad);
  const same = Buffer.compare(back, plaintext) === 0;
  back.fill(0);
  if (!same) throw new XksError('InternalException', 'the encryption did not decrypt back');
  return { ...s, cdiv: value };
}
