/**
 * Broker keys: X25519 key pairs in versions. At rest the secret half is sealed under the
 * root key. In memory it is a key object (OpenSSL's memory, not the JS heap) that
 * VersionKeys keeps after the first release, since importing it costs more than the rest of
 * the HPKE open; the raw bytes are wiped as soon as it is imported.
 */
import {
  hpkeDisposeRecipient,
  hpkeGenerateKeyPair,
  hpkeOpenWith,
  hpkeSeal,
  hpkeX25519Recipient,
  type HpkeRecipient,
} from '../../keys/hpke.js';
import { SectorCryptError } from '../../errors.js';
import type { KeyVersionRow } from './repository.js';
import { SEALED_INFO, sealedAad, type SealedKind } from '../../protocol/constants.js';
import { openAtRest, sealAtRest } from '../root-key/seal.js';

export type { KeyVersionRow };

export type { SealedKind };

const enc = new TextEncoder();

/** HPKE info and aad of a sealed secret (docs/envelope.md "The broker recipient"; docs/broker.md "The release, step by step"). */
export function sealedContext(kind: SealedKind, keyId: string, version: number, resource: string): { info: Uint8Array; aad: Uint8Array } {
  if (kind === 'envelope') {
    return { info: enc.encode(SEALED_INFO.envelope), aad: enc.encode(sealedAad(keyId, version)) };
  }
  const uuid = resource.startsWith('luks2:') ? resource.slice('luks2:'.length) : '';
  if (!uuid) throw new SectorCryptError('ERR_ARGUMENT', 'a luks2 release names its resource luks2:<volume UUID>');
  return { info: enc.encode(SEALED_INFO.luks2), aad: enc.encode(sealedAad(keyId, version, uuid)) };
}

/** Makes version `version` of a key: the public key to return, the sealed secret to store. */
export async function makeKeyVersion(
  rootKey: Uint8Array,
  tenantId: string,
  keyId: string,
  version: number,
): Promise<{ publicKey: Uint8Array; sealed: Uint8Array }> {
  const pair = await hpkeGenerateKeyPair('x25519');
  try {
    return { publicKey: pair.publicKey, sealed: sealAtRest(rootKey, tenantId, keyId, version, pair.secretKey) };
  } finally {
    pair.secretKey.fill(0);
  }
}

/** Refuses a destroyed key or a retired version (docs/broker.md "The release, step by step", step 1). */
export function assertUsable(v: KeyVersionRow): void {
  if (v.destroyed_at || !v.sealed_secret) throw new SectorCryptError('ERR_NOT_FOUND', 'this key was destroyed');
  // An aes256 key (no public half) serves the XKS API only; it never opens a sealed secret.
  if (v.public_key.length === 0) throw new SectorCryptError('ERR_UNSUPPORTED', 'an aes256 (XKS) key is not released to agents');
  if (v.retired_at) throw new SectorCryptError('ERR_FORBIDDEN', `version ${v.version} of this key is retired`);
}

/**
 * The secret keys of the key versions this process has opened with, as key objects, at most
 * `limit` of them (the least recently used goes first). Every use checks the version row
 * read in the same request first (assertUsable), so a key destroyed or retired by another
 * broker process is refused although its key object may still sit here; `forget` drops a
 * key's versions at once in this process. A version that leaves (forgotten, pushed out, or
 * the broker closing) has its key object disposed: nothing here keeps the secret reachable,
 * and OpenSSL clears its memory when it frees it.
 */
export class VersionKeys {
  readonly #rootKey: Uint8Array;
  readonly #limit: number;
  readonly #held = new Map<string, HpkeRecipient>();
  constructor(rootKey: Uint8Array, limit = 4096) {
    this.#rootKey = rootKey;
    this.#limit = limit;
  }

  #recipient(v: KeyVersionRow): HpkeRecipient {
    const id = `${v.tenant_id}/${v.key_id}/${v.version}`;
    let r = this.#held.get(id);
    if (r) {
      this.#held.delete(id); // re-inserted below: most recently used last
    } else {
      const secretKey = openAtRest(this.#rootKey, v.tenant_id, v.key_id, v.version, v.sealed_secret!);
      try {
        r = hpkeX25519Recipient(secretKey);
      } finally {
        secretKey.fill(0);
      }
      if (this.#held.size >= this.#limit) this.#drop(this.#held.keys().next().value!);
    }
    this.#held.set(id, r);
    return r;
  }

  /** Opens a sealed secret with the version's secret key. The caller wipes the result. */
  async open(
    v: KeyVersionRow,
    kind: SealedKind,
    resource: string,
    sealed: { enc: Uint8Array; ciphertext: Uint8Array },
  ): Promise<Uint8Array> {
    assertUsable(v);
    const { info, aad } = sealedContext(kind, v.key_id, v.version, resource);
    try {
      return await hpkeOpenWith(this.#recipient(v), sealed.enc, info, aad, sealed.ciphertext);
    } catch (err) {
      if (err instanceof SectorCryptError && err.code === 'ERR_AUTH') {
        throw new SectorCryptError('ERR_AUTH', 'the sealed secret does not open with this key version and resource');
      }
      throw err;
    }
  }

  #drop(id: string): void {
    const r = this.#held.get(id);
    this.#held.delete(id);
    if (r) hpkeDisposeRecipient(r);
  }

  /** Drops one version of a key (retired), or every version (destroyed), from this process. */
  forget(tenantId: string, keyId: string, version?: number): void {
    const prefix = version === undefined ? `${tenantId}/${keyId}/` : `${tenantId}/${keyId}/${version}`;
    for (const id of [...this.#held.keys()]) if (version === undefined ? id.startsWith(prefix) : id === prefix) this.#drop(id);
  }

  /** The broker is closing: every key object goes. */
  clear(): void {
    for (const id of [...this.#held.keys()]) this.#drop(id);
  }

  /** @internal the cached recipient of a version, if any (tests). */
  peek(tenantId: string, keyId: string, version: number): HpkeRecipient | undefined {
    return this.#held.get(`${tenantId}/${keyId}/${version}`);
  }
}

/** Seals a secret to a key version, as anyone holding the public key could. */
export async function sealTo(
  v: KeyVersionRow,
  kind: SealedKind,
  resource: string,
  secret: Uint8Array,
): Promise<{ enc: Uint8Array; ciphertext: Uint8Array }> {
  const { info, aad } = sealedContext(kind, v.key_id, v.version, resource);
  return hpkeSeal('x25519', v.public_key, info, aad, secret);
}
