/**
 * HPKE (RFC 9180) base mode, single shot, through @hpke/core: the one place the envelope,
 * the broker and the agent seal to and open with a KEM key. AEAD is AES-256-GCM and KDF
 * HKDF-SHA256 for every suite here (specs/envelope.md, CUSTODY.md "Release").
 *
 * - 'x25519': DHKEM(X25519, HKDF-SHA256), KEM id 0x0020; keys are the 32 raw bytes.
 * - 'xwing':  X-Wing (ML-KEM-768 + X25519), KEM id 0x647A; the public key is 1216 bytes,
 *             the secret key its 32-byte seed.
 */
// @hpke/core's own X25519 KEM runs on WebCrypto (OpenSSL underneath): about 3.5 times
// faster than the pure-JS one in @hpke/dhkem-x25519, which the broker's release path felt.
import { Aes256Gcm, CipherSuite, DhkemX25519HkdfSha256, HkdfSha256 } from '@hpke/core';
import { XWing } from '@hpke/hybridkem-x-wing';
import { SectorCryptError } from '../errors.js';

export type HpkeKem = 'x25519' | 'xwing';

export interface HpkeSealed {
  /** The KEM's encapsulated key (32 bytes for X25519, 1120 for X-Wing). */
  enc: Uint8Array;
  /** AEAD ciphertext with its 16-byte tag. */
  ciphertext: Uint8Array;
}

/** The KEM key object @hpke/core works with (a WebCrypto CryptoKey). */
type KemKey = Awaited<ReturnType<CipherSuite['kem']['deserializePublicKey']>>;

const suites = new Map<HpkeKem, CipherSuite>();

function suite(kem: HpkeKem): CipherSuite {
  let s = suites.get(kem);
  if (!s) {
    s = new CipherSuite({
      kem: kem === 'x25519' ? new DhkemX25519HkdfSha256() : new XWing(),
      kdf: new HkdfSha256(),
      aead: new Aes256Gcm(),
    });
    suites.set(kem, s);
  }
  return s;
}

/**
 * A copy in an ArrayBuffer of its own: the library wants ArrayBuffers, not views. Not
 * `bytes.slice().buffer`: on a Node Buffer, slice() is a view into the shared pool.
 */
function buf(bytes: Uint8Array): ArrayBuffer {
  const copy = new Uint8Array(bytes.length);
  copy.set(bytes);
  return copy.buffer;
}

export async function hpkeSeal(
  kem: HpkeKem,
  publicKey: Uint8Array,
  info: Uint8Array,
  aad: Uint8Array,
  plaintext: Uint8Array,
): Promise<HpkeSealed> {
  const s = suite(kem);
  let recipientPublicKey: KemKey;
  try {
    recipientPublicKey = await s.kem.deserializePublicKey(buf(publicKey));
  } catch (cause) {
    throw new SectorCryptError('ERR_ARGUMENT', `not a valid ${kem} public key`, { cause });
  }
  try {
    const { enc, ct } = await s.seal({ recipientPublicKey, info: buf(info) }, buf(plaintext), buf(aad));
    return { enc: new Uint8Array(enc), ciphertext: new Uint8Array(ct) };
  } catch (cause) {
    // A low-order X25519 point makes the shared secret all zero; the library refuses it.
    throw new SectorCryptError('ERR_ARGUMENT', `HPKE seal to this ${kem} public key failed`, { cause });
  }
}

/**
 * Opens a single-shot HPKE ciphertext. Any failure (bad enc, low-order share, wrong key,
 * bad tag) is ERR_AUTH: the caller learns nothing about which step refused.
 */
export async function hpkeOpen(
  kem: HpkeKem,
  secretKey: Uint8Array,
  enc: Uint8Array,
  info: Uint8Array,
  aad: Uint8Array,
  ciphertext: Uint8Array,
): Promise<Uint8Array> {
  const s = suite(kem);
  let recipientKey: KemKey;
  try {
    recipientKey = await s.kem.deserializePrivateKey(buf(secretKey));
  } catch (cause) {
    throw new SectorCryptError('ERR_ARGUMENT', `not a valid ${kem} secret key`, { cause });
  }
  try {
    const pt = await s.open({ recipientKey, enc: buf(enc), info: buf(info) }, buf(ciphertext), buf(aad));
    return new Uint8Array(pt);
  } catch (cause) {
    throw new SectorCryptError('ERR_AUTH', 'HPKE open failed', { cause });
  }
}

/** A new key pair: the secret key as the suite serializes it (X25519 scalar, X-Wing seed). */
export async function hpkeGenerateKeyPair(kem: HpkeKem): Promise<{ secretKey: Uint8Array; publicKey: Uint8Array }> {
  const s = suite(kem);
  const pair = await s.kem.generateKeyPair();
  return {
    secretKey: new Uint8Array(await s.kem.serializePrivateKey(pair.privateKey)),
    publicKey: new Uint8Array(await s.kem.serializePublicKey(pair.publicKey)),
  };
}
