/**
 * Binding a LUKS2 volume to a key broker key (docs/broker.md "The release, step by step"): a key slot whose
 * passphrase is a random 32-byte secret, and a `sectorcrypt-broker` token holding that secret
 * sealed with HPKE (X25519, HKDF-SHA256, AES-256-GCM) to the broker key, with info
 * "sectorcrypt-luks2/v1 broker" and aad "<keyId>/<version>/<volume UUID>" so the token cannot
 * be moved to another volume. Only the broker opens it, for an agent its policy allows.
 * No server code here: the agent is anything with BrokerAgent's `unwrap`.
 */
import { randomBytes } from 'node:crypto';
import { SectorCryptError } from '../errors.js';
import { isBytes, wipe } from '../bytes.js';
import { hpkeSeal } from '../keys/hpke.js';
import type { ImageFile } from './image-file.js';
import type { HeaderCopy } from './luks2-header.js';
import { readMetadata } from './luks2-metadata.js';
import { unlock, type Unlocked } from './luks2-keyslots.js';
import { BROKER_TOKEN, brokerTokens } from './luks2-tokens.js';
import { SEALED_INFO, sealedAad } from '../protocol/constants.js';

export const SLOT_SECRET_BYTES = 32;
const INFO = new TextEncoder().encode(SEALED_INFO.luks2);

/** What releases a token's secret: a BrokerAgent, or anything with its unwrap. */
export interface VolumeAgent {
  unwrap(
    sealed: { keyId: string; version: number; enc: Uint8Array; ciphertext: Uint8Array },
    opts: { resource: string; kind: 'luks2' },
  ): Promise<Uint8Array>;
}

/** A broker key version, as `GET /v1/keys/:id/public` gives it (publicKey: bytes or base64). */
export interface BrokerPublicKey {
  keyId: string;
  version: number;
  publicKey: Uint8Array | string;
  /** The broker's https:// URL, kept in the token for `cryptsetup luksDump` (optional). */
  url?: string;
}

export const volumeResource = (uuid: string) => `luks2:${uuid}`;

function checkKey(key: BrokerPublicKey): { keyId: string; version: number; publicKey: Uint8Array; url?: string } {
  if (typeof key !== 'object' || key === null)
    throw new SectorCryptError('ERR_ARGUMENT', 'the broker key must be {keyId, version, publicKey}');
  if (typeof key.keyId !== 'string' || !/^[\x21-\x2e\x30-\x7e]{1,128}$/.test(key.keyId))
    throw new SectorCryptError('ERR_ARGUMENT', 'broker keyId must be 1 to 128 printable characters without "/"');
  if (!Number.isSafeInteger(key.version) || key.version < 1)
    throw new SectorCryptError('ERR_ARGUMENT', 'broker key version must be a positive integer');
  const publicKey = isBytes(key.publicKey) ? new Uint8Array(key.publicKey) : new Uint8Array(Buffer.from(String(key.publicKey), 'base64'));
  if (publicKey.length !== 32) throw new SectorCryptError('ERR_KEY_LENGTH', 'the broker public key must be 32 bytes (X25519)');
  if (key.url !== undefined && (typeof key.url !== 'string' || !/^https:\/\/[\x21-\x7e]{1,2040}$/.test(key.url)))
    throw new SectorCryptError('ERR_ARGUMENT', 'the broker url must be https://... without spaces');
  return { keyId: key.keyId, version: key.version, publicKey, ...(key.url !== undefined ? { url: key.url } : {}) };
}

/**
 * A fresh slot secret and the token that carries it sealed (its `keyslots` filled in once the
 * slot number is known). The caller wipes `secret`.
 */
export async function sealSlotSecret(
  key: BrokerPublicKey,
  uuid: string,
): Promise<{ secret: Uint8Array; token: (slot: number) => Record<string, unknown> }> {
  const k = checkKey(key);
  const secret = new Uint8Array(randomBytes(SLOT_SECRET_BYTES));
  try {
    const aad = new TextEncoder().encode(sealedAad(k.keyId, k.version, uuid));
    const { enc, ciphertext } = await hpkeSeal('x25519', k.publicKey, INFO, aad, secret);
    const b64 = (b: Uint8Array) => Buffer.from(b).toString('base64');
    return {
      secret,
      token: (slot) => ({
        type: BROKER_TOKEN,
        keyslots: [String(slot)],
        keyId: k.keyId,
        version: k.version,
        enc: b64(enc),
        ciphertext: b64(ciphertext),
        ...(k.url ? { url: k.url } : {}),
      }),
    };
  } catch (err) {
    wipe(secret);
    throw err;
  }
}

/**
 * Asks the broker for each sectorcrypt-broker token's secret in turn until one opens its slot.
 * Returns the secret (the caller wipes it) with what it opened. A refusal (ERR_DENIED,
 * ERR_PENDING, ...) of the last token tried is thrown as is.
 */
export async function releaseSlotSecret(
  file: ImageFile,
  header: HeaderCopy,
  agent: VolumeAgent,
  onlyToken?: number,
): Promise<{ secret: Uint8Array; unlocked: Unlocked }> {
  if (typeof agent?.unwrap !== 'function') throw new SectorCryptError('ERR_ARGUMENT', 'agent must have an unwrap method (a BrokerAgent)');
  const md = readMetadata(header.meta, header.hdrSize);
  // A token whose slot cryptsetup killed keeps an empty keyslots list: nothing to open.
  const tokens = brokerTokens(
    header.meta,
    md.keyslots.map((k) => k.id),
  )
    .filter((t) => t.keyslots.length > 0)
    .filter((t) => onlyToken === undefined || t.id === String(onlyToken));
  if (tokens.length === 0) {
    throw new SectorCryptError(
      'ERR_NO_IDENTITY',
      onlyToken === undefined
        ? 'the volume has no sectorcrypt-broker token (bind it with `sectorcrypt volume bind`)'
        : `token ${onlyToken} of the volume is not a sectorcrypt-broker token with a key slot`,
    );
  }
  let last: unknown;
  for (const t of tokens) {
    let secret: Uint8Array;
    try {
      secret = await agent.unwrap(
        { keyId: t.keyId, version: t.version, enc: t.enc, ciphertext: t.ciphertext },
        { resource: volumeResource(header.uuid), kind: 'luks2' },
      );
    } catch (err) {
      last = err;
      continue;
    }
    try {
      return { secret, unlocked: await unlock(file, header, secret, t.keyslots) };
    } catch (err) {
      wipe(secret);
      last = err;
    }
  }
  throw last;
}
