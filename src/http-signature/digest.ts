/** The Content-Digest field of RFC 9530 (section 2), with sha-256 (section 5). */
import { createHash, timingSafeEqual } from 'node:crypto';
import { parseDictionary, serializeDictionary } from 'structured-headers';

/** `sha-256=:<base64>:`, the Content-Digest value of `body`. */
export function contentDigest(body: Uint8Array): string {
  const digest = createHash('sha256').update(body).digest();
  return serializeDictionary(new Map([['sha-256', [digest, new Map()]]]));
}

/**
 * True when the field has a sha-256 member equal to the digest of `body`. Other algorithms
 * are ignored (RFC 9530 section 2 lets a sender list several); sha-256 is required.
 */
export function contentDigestMatches(field: string, body: Uint8Array): boolean {
  let dict;
  try {
    dict = parseDictionary(field);
  } catch {
    return false;
  }
  const member = dict.get('sha-256');
  if (!member || Array.isArray(member[0]) || !(member[0] instanceof ArrayBuffer)) return false;
  const claimed = new Uint8Array(member[0]);
  const actual = createHash('sha256').update(body).digest();
  return claimed.length === actual.length && timingSafeEqual(claimed, actual);
}
