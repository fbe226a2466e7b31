/**
 * The `aes256-kw` stanza (docs/envelope.md "Key wrap for protocol builders"): the file key wrapped under a 32-byte
 * key-encryption key with RFC 3394, the form an HSM or a cloud KMS unwraps. The argument
 * names the KEK so that a holder of several picks the right one.
 */
import { SectorCryptError } from '../../errors.js';
import { aesKeyUnwrap, aesKeyWrap } from '../../keys/aes-kw.js';
import { FILE_KEY_BYTES } from '../format.js';
import type { Stanza } from '../header.js';
import { badStanza, expectArgs, expectBody, notMine, type StanzaFields } from './stanza.js';

export const AES256_KW = 'aes256-kw';
export const KEK_BYTES = 32;
const KEY_ID = /^[A-Za-z0-9._:/-]{1,64}$/;

export function checkKeyId(keyId: unknown): string {
  if (typeof keyId !== 'string' || !KEY_ID.test(keyId)) {
    throw new SectorCryptError('ERR_ARGUMENT', 'keyId must be 1 to 64 characters of A-Z a-z 0-9 . _ : / -');
  }
  return keyId;
}

export function sealAes256Kw(kek: Uint8Array, keyId: string, fileKey: Uint8Array): StanzaFields {
  return { type: AES256_KW, args: [keyId], body: aesKeyWrap(kek, fileKey) };
}

/** The file key, or undefined when the stanza names another KEK or this KEK does not open it. */
export function openAes256Kw(kek: Uint8Array, keyId: string | undefined, stanza: Stanza): Uint8Array | undefined {
  expectArgs(stanza, 1);
  if (!KEY_ID.test(stanza.args[0])) throw badStanza(stanza, 'bad key id');
  expectBody(stanza, FILE_KEY_BYTES + 8);
  if (keyId !== undefined && keyId !== stanza.args[0]) return undefined;
  try {
    return aesKeyUnwrap(kek, stanza.body);
  } catch (err) {
    return notMine(err);
  }
}
