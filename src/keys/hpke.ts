/**
 * HPKE (RFC 9180) base mode, single shot, through @hpke/core: the one place the envelope,
 * the broker and the agent seal to and open with a KEM key. AEAD is AES-256-GCM and KDF
 * HKDF-SHA256 for every suite here (docs/envelope.md, docs/broker.md "The release, step by step").
 *
 * - 'x25519': DHKEM(X25519, HKDF-SHA256), KEM id 0x0020; keys are the 32 raw bytes.
 * - 'xwing':  X-Wing (ML-KEM-768 + X25519), KEM id 0x647A; the public key is 1216 bytes,
 *             the secret key its 32-byte seed.
 */
// The X25519 suite runs @hpke/core on node:crypto primitives (hpke-node.ts): the broker
// seals and opens on every release, and the stock WebCrypto primitives cost about ten
// times as much CPU. X-Wing keeps the library's own primitives.
import { Aes256Gcm, CipherSuite, HkdfSha256 } from '@hpke/core';
import { XWing } from '@hpke/hybridkem-x-wing';
import { NodeAesGcm, NodeHkdfSha256, disposeX25519Recipient, nodeDhkemX25519, x25519Recipient } from './hpke-node.js';
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
    s =
      kem === 'x25519'
        ? new CipherSuite({ kem: nodeDhkemX25519(), kdf: new NodeHkdfSha256(), aead: new NodeAesGcm(256) })
        : new CipherSuite({ kem: new XWing(), kdf: new HkdfSha256(), aead: new Aes256Gcm() });
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
 * An X25519 recipient whose secret key is held as a key object (in OpenSSL's memory, not the
 * JS heap): imported once, or made fresh, for a caller that opens more than once or wants no
 * raw secret at all (the broker's key versions, the agent's reply keys).
 */
export interface HpkeRecipient {
  readonly publicKey: Uint8Array;
  /** @internal the pair @hpke/core opens with */
  readonly pair: unknown;
}

/** A recipient from a raw X25519 secret key (the caller wipes its copy), or a fresh one. */
export function hpkeX25519Recipient(secretKey?: Uint8Array): HpkeRecipient {
  try {
    return x25519Recipient(secretKey);
  } catch (cause) {
    throw new SectorCryptError('ERR_ARGUMENT', 'not a valid x25519 secret key', { cause });
  }
}

async function openWith(
  kem: HpkeKem,
  recipientKey: unknown,
  enc: Uint8Array,
  info: Uint8Array,
  aad: Uint8Array,
  ciphertext: Uint8Array,
): Promise<Uint8Array> {
  try {
    const pt = await suite(kem).open({ recipientKey: recipientKey as KemKey, enc: buf(enc), info: buf(info) }, buf(ciphertext), buf(aad));
    return new Uint8Array(pt);
  } catch (cause) {
    throw new SectorCryptError('ERR_AUTH', 'HPKE open failed', { cause });
  }
}

/**
 * Drops the recipient's secret key object (OpenSSL clears it when freed); opening with the
 * recipient afterwards fails with ERR_AUTH. For a holder retiring a key it cached.
 */
export function hpkeDisposeRecipient(recipient: HpkeRecipient): void {
  disposeX25519Recipient(recipient as unknown as Parameters<typeof disposeX25519Recipient>[0]);
}

/** hpkeOpen for an X25519 recipient held as a key object. */
export function hpkeOpenWith(
  recipient: HpkeRecipient,
  enc: Uint8Array,
  info: Uint8Array,
  aad: Uint8Array,
  ciphertext: Uint8Array,
): Promise<Uint8Array> {
  return openWith('x25519', recipient.pair, enc, info, aad, ciphertext);
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
  if (kem === 'x25519') return hpkeOpenWith(hpkeX25519Recipient(secretKey), enc, info, aad, ciphertext);
  let recipientKey: KemKey;
  try {
    recipientKey = await suite(kem).kem.deserializePrivateKey(buf(secretKey));
  } catch (cause) {
    throw new SectorCryptError('ERR_ARGUMENT', `not a valid ${kem} secret key`, { cause });
  }
  return openWith(kem, recipientKey, enc, info, aad, ciphertext);
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
