/** generateIdentity: a new key pair as text (docs/envelope.md "Recipients and identities"). */
import { wipe } from '../bytes.js';
import { SectorCryptError } from '../errors.js';
import { hpkeGenerateKeyPair } from '../keys/hpke.js';
import { encodePublicKey, encodeSecretKey, type KeyKind } from './key-text.js';

export type IdentityKind = 'x25519' | 'mlkem768x25519';

export interface GeneratedIdentity {
  /** SECTORCRYPT-SECRET-KEY-1... or SECTORCRYPT-PQ-SECRET-KEY-1... */
  secretKey: string;
  /** scx1... or scpq1...: give it to whoever encrypts to you. */
  publicKey: string;
}

export async function generateIdentity(kind: IdentityKind): Promise<GeneratedIdentity> {
  const kem: KeyKind | undefined = kind === 'x25519' ? 'x25519' : kind === 'mlkem768x25519' ? 'xwing' : undefined;
  if (!kem) throw new SectorCryptError('ERR_ARGUMENT', "identity kind must be 'x25519' or 'mlkem768x25519'");
  const pair = await hpkeGenerateKeyPair(kem);
  try {
    return { secretKey: encodeSecretKey(kem, pair.secretKey), publicKey: encodePublicKey(kem, pair.publicKey) };
  } finally {
    wipe(pair.secretKey);
  }
}
