/**
 * AES key wrap: RFC 3394 (KW, default IV A6A6A6A6A6A6A6A6) and RFC 5649 (KWP, with padding),
 * as NIST SP 800-38F names them. The AES rounds and the wrapping loop are @noble/ciphers'
 * (audited, constant-time table-free AES); this file checks arguments and maps failures to
 * stable error codes. Exported from 'sectorcrypt/hazmat'.
 */
import { aeskw, aeskwp } from '@noble/ciphers/aes.js';
import { checkBytes } from '../bytes.js';
import { SectorCryptError } from '../errors.js';

function checkKek(kek: unknown): Uint8Array {
  const k = checkBytes(kek, 'kek');
  if (k.length !== 16 && k.length !== 24 && k.length !== 32) {
    throw new SectorCryptError('ERR_KEY_LENGTH', 'key-encryption key must be 16, 24 or 32 bytes');
  }
  return k;
}

/** RFC 3394 section 2.2.1: the key is n >= 2 64-bit blocks; the result is 8 bytes longer. */
export function aesKeyWrap(kek: Uint8Array, key: Uint8Array): Uint8Array {
  const k = checkKek(kek);
  const plain = checkBytes(key, 'key');
  if (plain.length < 16 || plain.length % 8 !== 0) {
    throw new SectorCryptError(
      'ERR_DATA_LENGTH',
      'AES-KW wraps keys of 16 bytes or more, in multiples of 8 (use aesKeyWrapPad for other lengths)',
    );
  }
  return aeskw(k).encrypt(plain);
}

/** RFC 3394 section 2.2.2 with the integrity check of 2.2.3: ERR_AUTH when the IV does not match. */
export function aesKeyUnwrap(kek: Uint8Array, wrapped: Uint8Array): Uint8Array {
  const k = checkKek(kek);
  const sealed = checkBytes(wrapped, 'wrapped');
  if (sealed.length < 24 || sealed.length % 8 !== 0) {
    throw new SectorCryptError('ERR_DATA_LENGTH', 'AES-KW wrapped keys are 24 bytes or more, in multiples of 8');
  }
  try {
    return aeskw(k).decrypt(sealed);
  } catch (cause) {
    throw new SectorCryptError('ERR_AUTH', 'AES key unwrap failed its integrity check (wrong key-encryption key or damaged data)', {
      cause,
    });
  }
}

/** RFC 5649 section 4.1: any key of 1 to 2^32 - 1 bytes. */
export function aesKeyWrapPad(kek: Uint8Array, key: Uint8Array): Uint8Array {
  const k = checkKek(kek);
  const plain = checkBytes(key, 'key');
  if (plain.length < 1 || plain.length > 0xffffffff) {
    throw new SectorCryptError('ERR_DATA_LENGTH', 'AES-KWP wraps 1 to 2^32 - 1 bytes');
  }
  return aeskwp(k).encrypt(plain);
}

/** RFC 5649 section 4.2 with the AIV and padding checks of 4.2: ERR_AUTH when they fail. */
export function aesKeyUnwrapPad(kek: Uint8Array, wrapped: Uint8Array): Uint8Array {
  const k = checkKek(kek);
  const sealed = checkBytes(wrapped, 'wrapped');
  if (sealed.length < 16 || sealed.length % 8 !== 0) {
    throw new SectorCryptError('ERR_DATA_LENGTH', 'AES-KWP wrapped keys are 16 bytes or more, in multiples of 8');
  }
  try {
    return aeskwp(k).decrypt(sealed);
  } catch (cause) {
    throw new SectorCryptError('ERR_AUTH', 'AES key unwrap (with padding) failed its integrity check', { cause });
  }
}
