/**
 * Recipients (docs/api.md): a public key string (scx1..., scpq1...),
 * { passphrase }, { kek, keyId } or { broker: { keyId, version, publicKey } }. Each becomes
 * one stanza wrapping the file key.
 */
import { checkBytes, copyBytes, isBytes } from '../bytes.js';
import { SectorCryptError } from '../errors.js';
import { encodeStanza } from './header.js';
import { decodePublicKey } from './key-text.js';
import { checkObject } from './options.js';
import { checkCost, DEFAULT_ARGON2ID, sealArgon2id, type Argon2idCost } from './stanzas/argon2id.js';
import { checkKeyId, KEK_BYTES, sealAes256Kw } from './stanzas/aes256-kw.js';
import { checkBrokerKey, sealBroker, type BrokerKey } from './stanzas/broker.js';
import { sealHpkeStanza } from './stanzas/hpke-stanza.js';
import type { StanzaFields } from './stanzas/stanza.js';

export type Recipient =
  string | { passphrase: string | Uint8Array; argon2id?: Argon2idCost } | { kek: Uint8Array; keyId: string } | { broker: BrokerKey };

/** A recipient checked and ready: seal() wraps a file key into a stanza's bytes. */
export type Sealer = (fileKey: Uint8Array) => Promise<Uint8Array>;

function asSealer(make: (fileKey: Uint8Array) => Promise<StanzaFields> | StanzaFields): Sealer {
  return async (fileKey) => {
    const { type, args, body } = await make(fileKey);
    return encodeStanza(type, args, body);
  };
}

export function passphraseBytes(passphrase: unknown): Uint8Array {
  if (typeof passphrase === 'string' && passphrase.length > 0) return new TextEncoder().encode(passphrase);
  if (isBytes(passphrase) && passphrase.length > 0) return copyBytes(passphrase);
  throw new SectorCryptError('ERR_ARGUMENT', 'passphrase must be a non-empty string or Uint8Array');
}

/** Checks a recipient now, so a bad one fails before any output. */
export function toSealer(recipient: unknown): Sealer {
  return asSealer(toFieldSealer(recipient));
}

/** A recipient checked now; the function wraps a 32-byte secret (a file key or a share) into a stanza's fields. */
export function toFieldSealer(recipient: unknown, member = false): (fileKey: Uint8Array) => Promise<StanzaFields> | StanzaFields {
  if (typeof recipient === 'string') {
    const { kind, publicKey } = decodePublicKey(recipient);
    return (fileKey) => sealHpkeStanza(kind, publicKey, fileKey);
  }
  const r = checkObject(recipient, 'recipient', ['passphrase', 'argon2id', 'kek', 'keyId', 'broker']);
  if ('passphrase' in r) {
    checkObject(r, 'passphrase recipient', ['passphrase', 'argon2id']);
    const cost =
      r.argon2id === undefined
        ? DEFAULT_ARGON2ID
        : checkCost(checkObject(r.argon2id, 'argon2id', ['memoryKiB', 'passes', 'lanes']) as unknown as Argon2idCost);
    const passphrase = passphraseBytes(r.passphrase);
    return async (fileKey) => {
      try {
        return await sealArgon2id(passphrase, cost, fileKey);
      } finally {
        passphrase.fill(0);
      }
    };
  }
  if ('kek' in r) {
    checkObject(r, 'kek recipient', ['kek', 'keyId']);
    const kek = checkBytes(r.kek, 'kek');
    if (kek.length !== KEK_BYTES) throw new SectorCryptError('ERR_KEY_LENGTH', 'kek must be 32 bytes (aes256-kw)');
    const keyId = checkKeyId(r.keyId);
    const copy = copyBytes(kek);
    return (fileKey) => {
      try {
        return sealAes256Kw(copy, keyId, fileKey);
      } finally {
        copy.fill(0);
      }
    };
  }
  if ('broker' in r) {
    checkObject(r, 'broker recipient', ['broker']);
    // A threshold member may name its broker's URL: the share stanza keeps it as a routing hint.
    const key = checkObject(r.broker, 'broker', member ? ['keyId', 'version', 'publicKey', 'url'] : ['keyId', 'version', 'publicKey']);
    checkBrokerKey(key as unknown as BrokerKey);
    const { url: _url, ...plain } = key;
    return (fileKey) => sealBroker(plain as unknown as BrokerKey, fileKey);
  }
  throw new SectorCryptError('ERR_ARGUMENT', 'a recipient is a public key string, { passphrase }, { kek, keyId } or { broker }');
}
