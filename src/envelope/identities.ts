/**
 * Identities (docs/api.md): a secret key string, { passphrase },
 * { kek, keyId? } or an object that asks the key broker (a BrokerAgent: unwrapBrokerStanza).
 * Each knows which stanza type it can open.
 */
import { checkBytes, copyBytes } from '../bytes.js';
import { SectorCryptError } from '../errors.js';
import type { Stanza } from './header.js';
import { decodeSecretKey, type KeyKind } from './key-text.js';
import { checkObject } from './options.js';
import { passphraseBytes } from './recipients.js';
import { ARGON2ID, openArgon2id, type Argon2idCost } from './stanzas/argon2id.js';
import { AES256_KW, checkKeyId, KEK_BYTES, openAes256Kw } from './stanzas/aes256-kw.js';
import { BROKER, brokerSealedSecret, type BrokerSealedSecret } from './stanzas/broker.js';
import { HPKE_STANZAS, openHpkeStanza } from './stanzas/hpke-stanza.js';
import { FILE_KEY_BYTES } from './format.js';

/** What the key broker's agent offers: the file key from a broker stanza, once released. */
export interface BrokerIdentity {
  unwrapBrokerStanza(sealed: BrokerSealedSecret, resource: string): Promise<Uint8Array>;
  /** The broker it asks (https URL): a threshold member naming another broker is not offered to it. */
  readonly url?: string;
  /** Withdraws the releases it is waiting on (a threshold group already has its k shares). */
  withdrawWaiting?(): Promise<unknown>;
}

export type Identity = string | { passphrase: string | Uint8Array } | { kek: Uint8Array; keyId?: string } | BrokerIdentity;

export interface OpenContext {
  /** `envelope:<salt>`; undefined when the payload is too short to have one. */
  resource?: string;
  argon2idLimits?: Argon2idCost;
}

/** An identity ready to try stanzas: the file key, undefined (not this one's), or a throw. */
export interface Opener {
  type: string;
  /** A broker identity's broker URL, when it says. */
  url?: string;
  open(stanza: Stanza, context: OpenContext): Promise<Uint8Array | undefined>;
  /** Wipes the secret it holds. */
  forget(): void;
  /** Stops waiting for approvals nobody needs any more (a broker identity that can). */
  stopWaiting?(): Promise<unknown>;
}

function keyOpener(kind: KeyKind, secretKey: Uint8Array): Opener {
  return {
    type: HPKE_STANZAS[kind].type,
    open: (stanza) => openHpkeStanza(kind, secretKey, stanza),
    forget: () => secretKey.fill(0),
  };
}

function brokerOpener(agent: BrokerIdentity): Opener {
  return {
    type: BROKER,
    ...(typeof agent.url === 'string' ? { url: agent.url } : {}),
    ...(typeof agent.withdrawWaiting === 'function' ? { stopWaiting: () => agent.withdrawWaiting!() } : {}),
    async open(stanza, context) {
      const sealed = brokerSealedSecret(stanza);
      if (context.resource === undefined) return undefined;
      const fileKey = await agent.unwrapBrokerStanza(sealed, context.resource);
      if (!(fileKey instanceof Uint8Array) || fileKey.length !== FILE_KEY_BYTES) {
        throw new SectorCryptError('ERR_AUTH', 'the broker identity returned something other than a 32-byte file key');
      }
      return fileKey;
    },
    forget: () => {},
  };
}

export function toOpener(identity: unknown): Opener {
  if (typeof identity === 'string') {
    const { kind, secretKey } = decodeSecretKey(identity);
    return keyOpener(kind, secretKey);
  }
  if (typeof identity === 'object' && identity !== null && typeof (identity as BrokerIdentity).unwrapBrokerStanza === 'function') {
    return brokerOpener(identity as BrokerIdentity);
  }
  const i = checkObject(identity, 'identity', ['passphrase', 'kek', 'keyId']);
  if ('passphrase' in i) {
    checkObject(i, 'passphrase identity', ['passphrase']);
    const passphrase = passphraseBytes(i.passphrase);
    return {
      type: ARGON2ID,
      open: (stanza, context) => openArgon2id(passphrase, stanza, context.argon2idLimits),
      forget: () => passphrase.fill(0),
    };
  }
  if ('kek' in i) {
    const kek = copyBytes(checkBytes(i.kek, 'kek'));
    if (kek.length !== KEK_BYTES) throw new SectorCryptError('ERR_KEY_LENGTH', 'kek must be 32 bytes (aes256-kw)');
    const keyId = i.keyId === undefined ? undefined : checkKeyId(i.keyId);
    return {
      type: AES256_KW,
      open: async (stanza) => openAes256Kw(kek, keyId, stanza),
      forget: () => kek.fill(0),
    };
  }
  throw new SectorCryptError('ERR_ARGUMENT', 'an identity is a secret key string, { passphrase }, { kek, keyId } or a broker agent');
}

/** Openers for every identity; on a bad one, the ones made so far are wiped. */
export function toOpeners(identities: unknown): Opener[] {
  if (!Array.isArray(identities) || identities.length === 0)
    throw new SectorCryptError('ERR_ARGUMENT', 'identities must be a non-empty array');
  const openers: Opener[] = [];
  try {
    for (const identity of identities) openers.push(toOpener(identity));
  } catch (err) {
    for (const o of openers) o.forget();
    throw err;
  }
  return openers;
}
