/**
 * The `X25519` and `mlkem768x25519` stanzas (docs/envelope.md "Recipients and identities"): HPKE base mode, single
 * shot, AES-256-GCM, HKDF-SHA256, to a public key; the one argument is the encapsulated key.
 */
import { hpkeOpen, hpkeSeal, type HpkeKem } from '../../keys/hpke.js';
import { encodeBase64 } from '../base64.js';
import { FILE_KEY_BYTES, LABEL } from '../format.js';
import type { Stanza } from '../header.js';
import type { KeyKind } from '../key-text.js';
import { bytesArg, expectArgs, expectBody, notMine, utf8, type StanzaFields } from './stanza.js';

interface HpkeStanzaType {
  type: string;
  kem: HpkeKem;
  encBytes: number;
}

export const HPKE_STANZAS: Record<KeyKind, HpkeStanzaType> = {
  x25519: { type: 'X25519', kem: 'x25519', encBytes: 32 },
  xwing: { type: 'mlkem768x25519', kem: 'xwing', encBytes: 1120 },
};

const EMPTY = new Uint8Array(0);
const SEALED_BYTES = FILE_KEY_BYTES + 16;

function info(t: HpkeStanzaType): Uint8Array {
  return utf8.encode(`${LABEL} ${t.type}`);
}

export async function sealHpkeStanza(kind: KeyKind, publicKey: Uint8Array, fileKey: Uint8Array): Promise<StanzaFields> {
  const t = HPKE_STANZAS[kind];
  const { enc, ciphertext } = await hpkeSeal(t.kem, publicKey, info(t), EMPTY, fileKey);
  return { type: t.type, args: [encodeBase64(enc)], body: ciphertext };
}

/** The file key, or undefined when the stanza was sealed to another key. */
export async function openHpkeStanza(kind: KeyKind, secretKey: Uint8Array, stanza: Stanza): Promise<Uint8Array | undefined> {
  const t = HPKE_STANZAS[kind];
  expectArgs(stanza, 1);
  expectBody(stanza, SEALED_BYTES);
  const enc = bytesArg(stanza, 0, t.encBytes);
  // A low-order X25519 share gives an all-zero shared secret; the KEM refuses it (ERR_AUTH).
  return hpkeOpen(t.kem, secretKey, enc, info(t), EMPTY, stanza.body).catch(notMine);
}
