/**
 * Keys derived from the file key (docs/envelope.md "How it works"): the payload key (Cobblestone-256's
 * input key) and the header MAC key, both HKDF-SHA-256 with an empty salt; the MAC is
 * HMAC-SHA-256 and is compared in constant time.
 */
import { hkdf } from '@noble/hashes/hkdf.js';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { equalConstantTime, wipe } from '../bytes.js';
import { SectorCryptError } from '../errors.js';
import { LABEL } from './format.js';

const utf8 = new TextEncoder();

export function payloadKey(fileKey: Uint8Array): Uint8Array {
  return hkdf(sha256, fileKey, new Uint8Array(0), utf8.encode(`${LABEL} payload`), 32);
}

export function headerMac(fileKey: Uint8Array, macInput: Uint8Array): Uint8Array {
  const macKey = hkdf(sha256, fileKey, new Uint8Array(0), utf8.encode(`${LABEL} header`), 32);
  try {
    return hmac(sha256, macKey, macInput);
  } finally {
    wipe(macKey);
  }
}

/** ERR_AUTH unless `mac` is the header MAC of `macInput` under this file key. */
export function checkHeaderMac(fileKey: Uint8Array, macInput: Uint8Array, mac: Uint8Array): void {
  const expected = headerMac(fileKey, macInput);
  if (!equalConstantTime(expected, mac)) {
    throw new SectorCryptError('ERR_AUTH', 'envelope header MAC does not match: the header was changed');
  }
}
