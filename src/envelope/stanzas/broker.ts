/**
 * The `broker` stanza (docs/envelope.md "The broker recipient"): HPKE (X25519, HKDF-SHA256, AES-256-GCM) to a
 * broker key version's public key, with aad "<keyId>/<version>". Only the broker opens it,
 * after its release policy allowed the requester; here it is sealed, and its sealed secret
 * handed to an identity that talks to the broker (the agent's unwrapBrokerStanza).
 */
import { SectorCryptError } from '../../errors.js';
import { hpkeSeal } from '../../keys/hpke.js';
import { checkBytes, copyBytes, isBytes } from '../../bytes.js';
import { encodeBase64 } from '../base64.js';
import { FILE_KEY_BYTES } from '../format.js';
import { SEALED_INFO, sealedAad } from '../../protocol/constants.js';
import type { Stanza } from '../header.js';
import { decodePublicKey } from '../key-text.js';
import { badStanza, bytesArg, expectArgs, expectBody, utf8, type StanzaFields } from './stanza.js';

export const BROKER = 'broker';
const INFO = utf8.encode(SEALED_INFO.envelope);
const VERSION = /^[1-9][0-9]{0,8}$/;
const KEY_ID = /^[\x21-\x2e\x30-\x7e]{1,128}$/; // printable, no "/" (it separates the aad)

/** What a broker needs to open a stanza (docs/broker.md "The release, step by step": a sealed secret). */
export interface BrokerSealedSecret {
  keyId: string;
  version: number;
  enc: Uint8Array;
  ciphertext: Uint8Array;
}

/** A broker key version, as `GET /v1/keys/:id/public` gives it. */
export interface BrokerKey {
  keyId: string;
  version: number;
  /** The 32-byte X25519 public key: bytes, base64, or an scx1... string. */
  publicKey: Uint8Array | string;
}

function aad(keyId: string, version: number): Uint8Array {
  return utf8.encode(sealedAad(keyId, version));
}

function brokerPublicKey(key: Uint8Array | string): Uint8Array {
  if (isBytes(key)) return checkBytes(key, 'publicKey');
  if (typeof key === 'string' && key.startsWith('scx1')) return decodePublicKey(key).publicKey;
  if (typeof key === 'string') {
    const bytes = new Uint8Array(Buffer.from(key, 'base64'));
    if (bytes.length === 32) return bytes;
  }
  throw new SectorCryptError('ERR_ARGUMENT', 'broker publicKey must be 32 bytes, their base64, or an scx1... key');
}

export function checkBrokerKey(key: BrokerKey): { keyId: string; version: number; publicKey: Uint8Array } {
  if (typeof key.keyId !== 'string' || !KEY_ID.test(key.keyId))
    throw new SectorCryptError('ERR_ARGUMENT', 'broker keyId must be 1 to 128 printable characters without "/" or spaces');
  if (!Number.isSafeInteger(key.version) || !VERSION.test(String(key.version)))
    throw new SectorCryptError('ERR_ARGUMENT', 'broker key version must be a positive integer');
  return { keyId: key.keyId, version: key.version, publicKey: brokerPublicKey(key.publicKey) };
}

export async function sealBroker(key: BrokerKey, fileKey: Uint8Array): Promise<StanzaFields> {
  const { keyId, version, publicKey } = checkBrokerKey(key);
  const { enc, ciphertext } = await hpkeSeal('x25519', publicKey, INFO, aad(keyId, version), fileKey);
  return { type: BROKER, args: [keyId, String(version), encodeBase64(enc)], body: ciphertext };
}

/** The sealed secret a broker stanza carries (ERR_CORRUPT_HEADER when malformed). */
export function brokerSealedSecret(stanza: Stanza): BrokerSealedSecret {
  expectArgs(stanza, 3);
  const [keyId, version] = stanza.args;
  if (!KEY_ID.test(keyId) || !VERSION.test(version)) throw badStanza(stanza, 'bad key id or version');
  expectBody(stanza, FILE_KEY_BYTES + 16);
  return { keyId, version: Number(version), enc: bytesArg(stanza, 2, 32), ciphertext: copyBytes(stanza.body) };
}

/** `envelope:` + base64 of the Cobblestone salt: the envelope's name in a release request. */
export function envelopeResource(payload: Uint8Array): string {
  if (payload.length < 24) throw new SectorCryptError('ERR_TRUNCATED', 'payload ends before its 24-byte salt');
  return `envelope:${encodeBase64(payload.subarray(0, 24))}`;
}
