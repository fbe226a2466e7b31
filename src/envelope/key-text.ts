/**
 * Keys as text (docs/envelope.md "Recipients and identities"): Bech32 (BIP 173) without its 90-character
 * limit. Public keys are lower case (scx1..., scpq1...), secret keys upper case
 * (SECTORCRYPT-SECRET-KEY-1..., SECTORCRYPT-PQ-SECRET-KEY-1...).
 */
import { bech32 } from '@scure/base';
import { SectorCryptError } from '../errors.js';

export type KeyKind = 'x25519' | 'xwing';

const PUBLIC_PREFIX: Record<KeyKind, string> = { x25519: 'scx', xwing: 'scpq' };
const SECRET_PREFIX: Record<KeyKind, string> = { x25519: 'sectorcrypt-secret-key-', xwing: 'sectorcrypt-pq-secret-key-' };
const PUBLIC_BYTES: Record<KeyKind, number> = { x25519: 32, xwing: 1216 };
const SECRET_BYTES: Record<KeyKind, number> = { x25519: 32, xwing: 32 };
/** Longer strings are refused before decoding: an X-Wing public key is about 1960 characters. */
const MAX_KEY_CHARS = 4096;

export function encodePublicKey(kind: KeyKind, key: Uint8Array): string {
  return bech32.encode(PUBLIC_PREFIX[kind], bech32.toWords(key), false);
}

export function encodeSecretKey(kind: KeyKind, key: Uint8Array): string {
  return bech32.encode(SECRET_PREFIX[kind], bech32.toWords(key), false).toUpperCase();
}

function decode(text: string): { prefix: string; bytes: Uint8Array } | undefined {
  if (text.length > MAX_KEY_CHARS) return undefined;
  try {
    const { prefix, words } = bech32.decode(text as `${string}1${string}`, false);
    return { prefix, bytes: bech32.fromWords(words) };
  } catch {
    return undefined;
  }
}

function kindOf(prefixes: Record<KeyKind, string>, prefix: string): KeyKind | undefined {
  return (Object.keys(prefixes) as KeyKind[]).find((k) => prefixes[k] === prefix);
}

/** A recipient string: which KEM, and its public key. ERR_ARGUMENT otherwise. */
export function decodePublicKey(text: string): { kind: KeyKind; publicKey: Uint8Array } {
  const decoded = decode(text.trim());
  const kind = decoded && text.trim() === text.trim().toLowerCase() ? kindOf(PUBLIC_PREFIX, decoded.prefix) : undefined;
  if (!decoded || !kind || decoded.bytes.length !== PUBLIC_BYTES[kind]) {
    throw new SectorCryptError('ERR_ARGUMENT', 'not a recipient public key (expected scx1... or scpq1...)');
  }
  return { kind, publicKey: decoded.bytes };
}

/** A secret key string. The message never repeats the text: it may be a secret. */
export function decodeSecretKey(text: string): { kind: KeyKind; secretKey: Uint8Array } {
  const decoded = decode(text.trim());
  const kind = decoded && text.trim() === text.trim().toUpperCase() ? kindOf(SECRET_PREFIX, decoded.prefix) : undefined;
  if (!decoded || !kind || decoded.bytes.length !== SECRET_BYTES[kind]) {
    decoded?.bytes.fill(0);
    throw new SectorCryptError('ERR_ARGUMENT', 'not a secret key (expected SECTORCRYPT-SECRET-KEY-1... or SECTORCRYPT-PQ-SECRET-KEY-1...)');
  }
  return { kind, secretKey: decoded.bytes };
}
