/**
 * node:crypto primitives for @hpke/core's DHKEM(X25519, HKDF-SHA256) suites.
 *
 * @hpke/core runs the HPKE protocol itself (RFC 9180: Encap/Decap over a DH, the labeled
 * key schedule, the AEAD context and its nonces). Its stock primitives go through WebCrypto,
 * where every HMAC, import and export is an asynchronous job: about 1.7 ms of CPU per seal
 * or open here, which the broker pays twice on every release. The classes below give the
 * library the same primitives from node:crypto's synchronous calls (OpenSSL underneath),
 * through the interfaces the library defines for that (KdfInterface, DhkemPrimitives,
 * AeadInterface). They do no protocol work of their own, apart from what an interface
 * method itself is defined as: HKDF-Expand (RFC 5869 section 2.3) and X25519's
 * DeriveKeyPair (RFC 9180 section 7.1.3). test/hpke.test.ts checks them against RFC 9180
 * appendix A.1 and against the stock suite on random inputs.
 */
import {
  createCipheriv,
  createDecipheriv,
  createHmac,
  createPrivateKey,
  createPublicKey,
  createSecretKey,
  diffieHellman,
  generateKeyPairSync,
  hkdfSync,
  type KeyObject,
} from 'node:crypto';
import {
  AeadId,
  Dhkem,
  KemId,
  LABEL_DKP_PRK,
  LABEL_SK,
  type AeadEncryptionContext,
  type AeadInterface,
  type DhkemPrimitives,
} from '@hpke/common';
import { HkdfSha256 } from '@hpke/core';

type Bytes = ArrayBufferLike | ArrayBufferView;
// The library's WebCrypto key types, named through its interface (no DOM lib here).
type CryptoKey = Parameters<DhkemPrimitives['dh']>[0];
type CryptoKeyPair = Awaited<ReturnType<DhkemPrimitives['generateKeyPair']>>;
type JsonWebKey = Exclude<Parameters<DhkemPrimitives['importKey']>[1], ArrayBuffer>;

const HASH_SIZE = 32;
const X25519_SIZE = 32;
// DER prefix of a PKCS #8 X25519 key (RFC 8410 section 7).
const PKCS8_PREFIX = Buffer.from('302e020100300506032b656e04220420', 'hex');

function view(b: Bytes): Uint8Array {
  return ArrayBuffer.isView(b) ? new Uint8Array(b.buffer, b.byteOffset, b.byteLength) : new Uint8Array(b);
}

/** A copy in an ArrayBuffer of its own (what the library's interfaces return). */
function owned(b: Uint8Array): ArrayBuffer {
  const copy = new Uint8Array(b.length);
  copy.set(b);
  return copy.buffer;
}

/** HKDF-SHA256 on node:crypto's synchronous HMAC; the labeled forms are the library's. */
export class NodeHkdfSha256 extends HkdfSha256 {
  override async extract(salt: ArrayBuffer, ikm: ArrayBuffer): Promise<ArrayBuffer> {
    const s = view(salt);
    // An empty salt is a string of HashLen zeros (RFC 5869 section 2.2), as in the stock class.
    if (s.length !== 0 && s.length !== HASH_SIZE) throw new Error('The salt length must be the same as the hashSize');
    const mac = createHmac('sha256', s.length ? s : new Uint8Array(HASH_SIZE))
      .update(view(ikm))
      .digest();
    try {
      return owned(mac);
    } finally {
      mac.fill(0); // a PRK: our copy goes, the library's stays with it
    }
  }

  override async expand(prk: ArrayBuffer, info: ArrayBuffer, len: number): Promise<ArrayBuffer> {
    if (len > 255 * HASH_SIZE) throw new Error('Entropy limit reached');
    const key = view(prk);
    const okm = new Uint8Array(len);
    // T(i) = HMAC(PRK, T(i-1) || info || i), RFC 5869 section 2.3.
    let previous = new Uint8Array(0);
    for (let i = 1, at = 0; at < len; i++) {
      const next = new Uint8Array(createHmac('sha256', key).update(previous).update(view(info)).update(Uint8Array.of(i)).digest());
      previous.fill(0);
      previous = next;
      okm.set(previous.subarray(0, Math.min(previous.length, len - at)), at);
      at += previous.length;
    }
    previous.fill(0);
    return okm.buffer;
  }

  override async extractAndExpand(salt: ArrayBuffer, ikm: ArrayBuffer, info: ArrayBuffer, len: number): Promise<ArrayBuffer> {
    const okm = new Uint8Array(hkdfSync('sha256', view(ikm), view(salt), view(info), len));
    try {
      return owned(okm);
    } finally {
      okm.fill(0);
    }
  }
}

/**
 * An X25519 key as the library passes it around: opaque to it, a KeyObject to us (the secret
 * lives in OpenSSL's memory, not in the JS heap). A public key keeps its raw bytes too.
 */
class X25519Key {
  readonly type: 'public' | 'private';
  readonly algorithm = { name: 'X25519' };
  readonly extractable = false;
  readonly usages: string[];
  #keyObject: KeyObject | undefined;
  constructor(
    keyObject: KeyObject,
    readonly raw?: Uint8Array,
  ) {
    this.#keyObject = keyObject;
    this.type = keyObject.type === 'private' ? 'private' : 'public';
    this.usages = this.type === 'private' ? ['deriveBits'] : [];
  }

  get keyObject(): KeyObject {
    if (!this.#keyObject) throw new Error('this X25519 key was disposed');
    return this.#keyObject;
  }

  /**
   * Lets go of the key object, so that nothing reachable from this key holds the secret: a
   * KeyObject cannot be wiped from JavaScript, but OpenSSL clears an X25519 key's memory when
   * it frees it (ecx_key_free), once the object is collected.
   */
  dispose(): void {
    this.#keyObject = undefined;
  }
}

function asKey(key: unknown, type: 'public' | 'private'): X25519Key {
  if (!(key instanceof X25519Key) || key.type !== type) throw new Error(`not an X25519 ${type} key of this suite`);
  return key;
}

// Public keys go through JWK: OpenSSL 3's DER decoder costs about ten times as much.
function publicFromRaw(raw: Uint8Array): X25519Key {
  if (raw.length !== X25519_SIZE) throw new Error('Invalid public key for the ciphersuite');
  const x = Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString('base64url');
  return new X25519Key(createPublicKey({ key: { kty: 'OKP', crv: 'X25519', x }, format: 'jwk' }), new Uint8Array(raw));
}

function rawPublic(key: X25519Key): Uint8Array {
  return key.raw ?? new Uint8Array(Buffer.from(key.keyObject.export({ format: 'jwk' }).x!, 'base64url'));
}

// Secret keys go through DER, whose buffer can be wiped (a JWK would leave the scalar in a
// string). It is slow (about 0.5 ms), so callers that open often keep the key: see
// x25519Recipient.
function privateFromRaw(raw: Uint8Array): X25519Key {
  if (raw.length !== X25519_SIZE) throw new Error('Invalid private key for the ciphersuite');
  const der = Buffer.concat([PKCS8_PREFIX, raw]);
  try {
    return new X25519Key(createPrivateKey({ key: der, format: 'der', type: 'pkcs8' }));
  } finally {
    der.fill(0); // our copy of the scalar
  }
}

function pairOf(privateKey: KeyObject): CryptoKeyPair {
  return { privateKey: new X25519Key(privateKey), publicKey: new X25519Key(createPublicKey(privateKey)) } as unknown as CryptoKeyPair;
}

/**
 * A recipient key pair for the library's open (recipientKey): imported once from its raw
 * secret, or made fresh without the secret ever leaving OpenSSL.
 */
export function x25519Recipient(secretKey?: Uint8Array): { pair: CryptoKeyPair; publicKey: Uint8Array } {
  const privateKey = secretKey ? privateFromRaw(secretKey).keyObject : generateKeyPairSync('x25519').privateKey;
  const pair = pairOf(privateKey);
  return { pair, publicKey: rawPublic(asKey(pair.publicKey, 'public')) };
}

/** Disposes a recipient made by x25519Recipient: later opens with it fail. */
export function disposeX25519Recipient(recipient: { pair: CryptoKeyPair }): void {
  if (recipient.pair.privateKey instanceof X25519Key) recipient.pair.privateKey.dispose();
}

/** X25519 (RFC 7748) through node:crypto, for the library's Dhkem. */
class NodeX25519 implements DhkemPrimitives {
  constructor(private readonly kdf: NodeHkdfSha256) {}

  async serializePublicKey(key: CryptoKey): Promise<ArrayBuffer> {
    return owned(rawPublic(asKey(key, 'public')));
  }

  async deserializePublicKey(key: Bytes): Promise<CryptoKey> {
    return publicFromRaw(view(key)) as unknown as CryptoKey;
  }

  async serializePrivateKey(key: CryptoKey): Promise<ArrayBuffer> {
    const der = asKey(key, 'private').keyObject.export({ format: 'der', type: 'pkcs8' });
    try {
      return owned(der.subarray(PKCS8_PREFIX.length));
    } finally {
      der.fill(0);
    }
  }

  async deserializePrivateKey(key: Bytes): Promise<CryptoKey> {
    return privateFromRaw(view(key)) as unknown as CryptoKey;
  }

  async importKey(format: 'raw' | 'jwk', key: ArrayBuffer | JsonWebKey, isPublic: boolean): Promise<CryptoKey> {
    if (format !== 'raw' || !(key instanceof ArrayBuffer)) throw new Error('only raw X25519 keys are supported');
    return (isPublic ? publicFromRaw(new Uint8Array(key)) : privateFromRaw(new Uint8Array(key))) as unknown as CryptoKey;
  }

  async generateKeyPair(): Promise<CryptoKeyPair> {
    return pairOf(generateKeyPairSync('x25519').privateKey);
  }

  /** RFC 9180 section 7.1.3: sk = LabeledExpand(LabeledExtract("", "dkp_prk", ikm), "sk", "", Nsk). */
  async deriveKeyPair(ikm: Bytes): Promise<CryptoKeyPair> {
    const prk = await this.kdf.labeledExtract(new ArrayBuffer(0), LABEL_DKP_PRK, view(ikm));
    const sk = new Uint8Array(await this.kdf.labeledExpand(prk, LABEL_SK, new Uint8Array(0), X25519_SIZE));
    try {
      return pairOf(privateFromRaw(sk).keyObject);
    } finally {
      sk.fill(0);
    }
  }

  async derivePublicKey(key: CryptoKey): Promise<CryptoKey> {
    return new X25519Key(createPublicKey(asKey(key, 'private').keyObject)) as unknown as CryptoKey;
  }

  async dh(sk: CryptoKey, pk: CryptoKey): Promise<ArrayBuffer> {
    const shared = diffieHellman({ privateKey: asKey(sk, 'private').keyObject, publicKey: asKey(pk, 'public').keyObject });
    try {
      // A low-order point gives the all-zero value; RFC 9180 section 7.1.4 says abort.
      if (shared.every((b) => b === 0)) throw new Error('X25519 shared secret is all zero');
      return owned(shared);
    } finally {
      shared.fill(0);
    }
  }
}

/** DHKEM(X25519, HKDF-SHA256), KEM id 0x0020 (RFC 9180 section 7.1), on the primitives above. */
class NodeDhkemX25519 extends Dhkem {
  // Nsecret, Nenc, Npk, Nsk; the base class leaves them 0 for its subclasses to set.
  override readonly secretSize = 32;
  override readonly encSize = X25519_SIZE;
  override readonly publicKeySize = X25519_SIZE;
  override readonly privateKeySize = X25519_SIZE;
  constructor() {
    const kdf = new NodeHkdfSha256();
    super(KemId.DhkemX25519HkdfSha256, new NodeX25519(kdf), kdf);
  }
}

export function nodeDhkemX25519(): Dhkem {
  return new NodeDhkemX25519();
}

/**
 * The AEAD key lives in a key object (OpenSSL's memory, cleared when the object is freed),
 * and the buffer the library handed over is wiped: @hpke/core uses it only to make this
 * context (encryptionContext.ts) and would otherwise leave it in the JS heap.
 */
class NodeAesGcmContext implements AeadEncryptionContext {
  readonly #key: KeyObject;
  readonly #cipher: 'aes-128-gcm' | 'aes-256-gcm';
  constructor(key: Bytes, cipher: 'aes-128-gcm' | 'aes-256-gcm') {
    const raw = view(key);
    this.#key = createSecretKey(raw);
    raw.fill(0);
    this.#cipher = cipher;
  }

  async seal(iv: Bytes, data: Bytes, aad: Bytes): Promise<ArrayBuffer> {
    const c = createCipheriv(this.#cipher, this.#key, view(iv));
    c.setAAD(view(aad));
    return owned(Buffer.concat([c.update(view(data)), c.final(), c.getAuthTag()]));
  }

  async open(iv: Bytes, data: Bytes, aad: Bytes): Promise<ArrayBuffer> {
    const d = view(data);
    if (d.length < 16) throw new Error('ciphertext shorter than its tag');
    const c = createDecipheriv(this.#cipher, this.#key, view(iv));
    c.setAAD(view(aad));
    c.setAuthTag(d.subarray(d.length - 16));
    const pt = c.update(d.subarray(0, d.length - 16));
    try {
      const last = c.final(); // throws on a bad tag
      const out = new Uint8Array(pt.length + last.length);
      out.set(pt);
      out.set(last, pt.length);
      last.fill(0);
      return out.buffer;
    } finally {
      pt.fill(0); // unauthenticated, or copied
    }
  }
}

/** AES-GCM with a 16- or 32-byte key (AEAD ids 0x0001, 0x0002) through node:crypto. */
export class NodeAesGcm implements AeadInterface {
  readonly id: AeadId;
  readonly keySize: number;
  readonly nonceSize = 12;
  readonly tagSize = 16;
  constructor(bits: 128 | 256) {
    this.id = bits === 128 ? AeadId.Aes128Gcm : AeadId.Aes256Gcm;
    this.keySize = bits / 8;
  }

  createEncryptionContext(key: Bytes): AeadEncryptionContext {
    return new NodeAesGcmContext(key, this.keySize === 16 ? 'aes-128-gcm' : 'aes-256-gcm');
  }
}
