/**
 * C2SP signed-note (c2sp.org/signed-note) with Ed25519 signatures (type 0x01):
 *
 *   <text ending in \n>\n— <key name> <base64(key ID || 64-byte signature)>\n
 *
 * key ID = SHA-256(name || 0x0A || 0x01 || 32-byte public key)[:4], and the verifier key
 * string is `<name>+<hex key ID>+<base64(0x01 || public key)>`. One signer and one verifier
 * key, which is all a tenant's log needs; signatures from other keys (e.g. witnesses) are
 * skipped, as the spec requires.
 */
import { SectorCryptError } from '../errors.js';
import { fromBase64, toBase64, toHex } from './base64.js';
import { sameHash, sha256 } from './hash.js';
import { ed25519PublicKey, ed25519Sign, ed25519Verify } from '../keys/ed25519.js';

const ED25519 = 0x01;
const EM_DASH = '\u2014';
/** The spec asks verifiers to accept at least 16 signatures; this bounds the work. */
const MAX_SIGNATURES = 16;

export interface NoteSigner {
  /** Key name: non-empty, no spaces, no '+'. By tlog-checkpoint convention, the log origin. */
  name: string;
  /** The 32-byte Ed25519 seed. The caller owns it and should wipe it after use. */
  secretKey: Uint8Array;
}

export interface NoteVerifier {
  name: string;
  keyId: Uint8Array;
  publicKey: Uint8Array;
}

function checkName(name: string): void {
  // Key names: non-empty, no Unicode spaces, no '+'; no control characters anywhere in a note.
  if (name.length === 0 || /[\s+\p{Z}\p{Cc}]/u.test(name)) {
    throw new SectorCryptError('ERR_ARGUMENT', `note key name ${JSON.stringify(name)} is empty or holds a space, '+' or control character`);
  }
}

export function noteKeyId(name: string, publicKey: Uint8Array): Uint8Array {
  const hash = sha256(name, new Uint8Array([0x0a, ED25519]), publicKey);
  return new Uint8Array(hash.subarray(0, 4));
}

/** `<name>+<hex key ID>+<base64(0x01 || public key)>` */
export function verifierKey(name: string, publicKey: Uint8Array): string {
  checkName(name);
  if (publicKey.length !== 32) throw new SectorCryptError('ERR_ARGUMENT', 'an Ed25519 public key is 32 bytes');
  const typed = new Uint8Array(33);
  typed[0] = ED25519;
  typed.set(publicKey, 1);
  return `${name}+${toHex(noteKeyId(name, publicKey))}+${toBase64(typed)}`;
}

export function parseVerifierKey(vkey: string): NoteVerifier {
  const parts = vkey.trim().split('+');
  // The base64 part may itself hold '+', so split off name and ID and keep the rest whole.
  if (parts.length < 3) throw new SectorCryptError('ERR_ARGUMENT', 'a verifier key reads <name>+<hex key ID>+<base64 key>');
  const [name, idHex] = parts as [string, string];
  const key = parts.slice(2).join('+');
  checkName(name);
  if (!/^[0-9a-f]{8}$/.test(idHex)) throw new SectorCryptError('ERR_ARGUMENT', 'a verifier key ID is 8 lowercase hex digits');
  const typed = fromBase64(key, 'verifier key');
  if (typed.length !== 33 || typed[0] !== ED25519) {
    throw new SectorCryptError('ERR_ARGUMENT', 'only Ed25519 verifier keys (type 0x01, 32 bytes) are supported');
  }
  const publicKey = typed.subarray(1);
  const keyId = noteKeyId(name, publicKey);
  if (toHex(keyId) !== idHex) {
    throw new SectorCryptError('ERR_ARGUMENT', 'verifier key ID does not match its name and key');
  }
  return { name, keyId, publicKey };
}

/** The public key of an Ed25519 seed. */
export function publicKeyOf(secretKey: Uint8Array): Uint8Array {
  if (secretKey.length !== 32) throw new SectorCryptError('ERR_ARGUMENT', 'an Ed25519 secret key is a 32-byte seed');
  return ed25519PublicKey(secretKey);
}

function checkText(text: string): void {
  if (text.length === 0 || !text.endsWith('\n')) {
    throw new SectorCryptError('ERR_ARGUMENT', 'note text must end in a newline');
  }
  if (/[\u0000-\u0009\u000b-\u001f]/.test(text) || /\p{Cs}/u.test(text)) {
    throw new SectorCryptError('ERR_ARGUMENT', 'note text holds a control character or invalid UTF-16');
  }
}

/** Signs `text` (which ends in a newline) and returns the whole note. */
export function signNote(text: string, signer: NoteSigner): string {
  checkName(signer.name);
  checkText(text);
  const publicKey = publicKeyOf(signer.secretKey);
  const signature = ed25519Sign(signer.secretKey, new TextEncoder().encode(text));
  const blob = new Uint8Array(4 + signature.length);
  blob.set(noteKeyId(signer.name, publicKey));
  blob.set(signature, 4);
  return `${text}\n${EM_DASH} ${signer.name} ${toBase64(blob)}\n`;
}

/**
 * The text of `note` once a signature by `vkey` verifies. A malformed note is ERR_ARGUMENT;
 * a note whose signature by this key fails, or that has none, is ERR_AUDIT_TAMPERED.
 */
export function openNote(note: string, vkey: string | NoteVerifier): string {
  const verifier = typeof vkey === 'string' ? parseVerifierKey(vkey) : vkey;
  if (!note.endsWith('\n')) throw new SectorCryptError('ERR_ARGUMENT', 'a signed note ends in a newline');
  // The text and the signatures are separated by the last blank line.
  const split = note.lastIndexOf('\n\n');
  if (split < 0) throw new SectorCryptError('ERR_ARGUMENT', 'a signed note has a blank line before its signatures');
  const text = note.slice(0, split + 1);
  checkText(text);
  const lines = note.slice(split + 2, -1).split('\n');
  if (lines.length > MAX_SIGNATURES) throw new SectorCryptError('ERR_ARGUMENT', `a note may carry at most ${MAX_SIGNATURES} signatures`);
  let verified = false;
  for (const line of lines) {
    const match = /^\u2014 (\S+) (\S+)$/u.exec(line);
    if (!match) throw new SectorCryptError('ERR_ARGUMENT', 'a signature line reads "— <key name> <base64 signature>"');
    const blob = fromBase64(match[2]!, 'note signature');
    if (blob.length < 5) throw new SectorCryptError('ERR_ARGUMENT', 'a note signature holds a key ID and a signature');
    // Only a signature whose name and ID both match is ours; any other is ignored.
    if (match[1] !== verifier.name || !sameHash(blob.subarray(0, 4), verifier.keyId)) continue;
    const good = blob.length === 68 && ed25519Verify(verifier.publicKey, new TextEncoder().encode(text), blob.subarray(4));
    if (!good) throw new SectorCryptError('ERR_AUDIT_TAMPERED', `note signature by ${verifier.name} does not verify`);
    verified = true;
  }
  if (!verified) throw new SectorCryptError('ERR_AUDIT_TAMPERED', `note carries no signature by ${verifier.name}`);
  return text;
}
