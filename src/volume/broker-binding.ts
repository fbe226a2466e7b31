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
import { BROKER_TOKEN, brokerTokens, MAX_TOKEN_SHARES, THRESHOLD_TOKEN, thresholdTokens, type ThresholdToken } from './luks2-tokens.js';
import { splitSecret } from '../keys/shamir.js';
import { classifyFailure, gatherShares, type ShareFailure } from '../keys/share-collect.js';
import { SEALED_INFO, sealedAad } from '../protocol/constants.js';

export const SLOT_SECRET_BYTES = 32;
const INFO = new TextEncoder().encode(SEALED_INFO.luks2);

/** What releases a token's secret: a BrokerAgent, or anything with its unwrap. */
export interface VolumeAgent {
  /** The broker it asks (a BrokerAgent's): a threshold share naming another broker is not asked of it. */
  readonly url?: string;
  /** Withdraws the releases it is waiting on (a threshold token already has its k shares). */
  withdrawWaiting?(): Promise<unknown>;
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
 * The name a threshold share is released under, after `luks2:`, and the last part of its aad:
 * the volume UUID, then ".share.<k>-of-<n>.<group>.<index>" (docs/volumes.md "Threshold binding").
 * The broker builds the aad from the resource, so a share opens only for its own volume and place.
 */
export function shareName(uuid: string, group: string, k: number, n: number, index: number): string {
  return `${uuid}.share.${k}-of-${n}.${group}.${index}`;
}

/**
 * A fresh slot secret split k of n, each share sealed to one broker key, and the
 * sectorcrypt-threshold token that carries them. The caller wipes `secret`.
 */
export async function sealThresholdSecret(
  k: number,
  keys: BrokerPublicKey[],
  uuid: string,
): Promise<{ secret: Uint8Array; token: (slot: number) => Record<string, unknown> }> {
  if (!Array.isArray(keys) || keys.length < 1 || keys.length > MAX_TOKEN_SHARES)
    throw new SectorCryptError('ERR_ARGUMENT', `a threshold binding has 1 to ${MAX_TOKEN_SHARES} broker keys`);
  if (!Number.isSafeInteger(k) || k < 1 || k > keys.length)
    throw new SectorCryptError('ERR_ARGUMENT', `threshold k must be a whole number from 1 to the number of broker keys (${keys.length})`);
  const checked = keys.map(checkKey);
  const group = randomBytes(16).toString('hex');
  const secret = new Uint8Array(randomBytes(SLOT_SECRET_BYTES));
  const shares = splitSecret(
    secret,
    k,
    checked.map((_, i) => i + 1),
  );
  try {
    const b64 = (b: Uint8Array) => Buffer.from(b).toString('base64');
    const sealed = await Promise.all(
      checked.map(async (key, i) => {
        const aad = new TextEncoder().encode(sealedAad(key.keyId, key.version, shareName(uuid, group, k, checked.length, i + 1)));
        const { enc, ciphertext } = await hpkeSeal('x25519', key.publicKey, INFO, aad, shares[i].value);
        return {
          index: i + 1,
          keyId: key.keyId,
          version: key.version,
          enc: b64(enc),
          ciphertext: b64(ciphertext),
          ...(key.url ? { url: key.url } : {}),
        };
      }),
    );
    return { secret, token: (slot) => ({ type: THRESHOLD_TOKEN, keyslots: [String(slot)], group, k, shares: sealed }) };
  } catch (err) {
    wipe(secret);
    throw err;
  } finally {
    for (const sh of shares) wipe(sh.value);
  }
}

const sameUrl = (a: string, b: string) => a.replace(/\/+$/, '') === b.replace(/\/+$/, '');

/**
 * The agents that may release a threshold share naming `url`: those of that broker and those
 * that do not say (another broker is never asked about a key it does not hold).
 */
function agentsFor(agents: readonly VolumeAgent[], url: string | undefined): VolumeAgent[] {
  if (url === undefined) return [...agents];
  return agents.filter((a) => typeof a.url !== 'string' || sameUrl(a.url, url));
}

/** A sectorcrypt-broker token's agents: those of its broker first, then the others (tokens bound before routing existed). */
function tokenAgents(agents: readonly VolumeAgent[], url: string | undefined): VolumeAgent[] {
  const first = agentsFor(agents, url);
  return [...first, ...agents.filter((a) => !first.includes(a))];
}

interface ShareMiss extends ShareFailure {
  index: number;
  member: string;
}

/** Every share of the token asked at once; the slot secret from the first k, or ERR_THRESHOLD naming each miss. */
async function releaseThreshold(token: ThresholdToken, uuid: string, agents: readonly VolumeAgent[]): Promise<Uint8Array> {
  const n = token.shares.length;
  const outcome = await gatherShares(token.shares, token.k, async (sh): Promise<Uint8Array | ShareMiss> => {
    const member = `share ${sh.index} (broker key ${sh.keyId}/${sh.version}${sh.url ? ` at ${sh.url}` : ''})`;
    const candidates = agentsFor(agents, sh.url);
    let last: unknown;
    for (const agent of candidates) {
      try {
        const share = await agent.unwrap(
          { keyId: sh.keyId, version: sh.version, enc: sh.enc, ciphertext: sh.ciphertext },
          { resource: volumeResource(shareName(uuid, token.group, token.k, n, sh.index)), kind: 'luks2' },
        );
        if (share.length === SLOT_SECRET_BYTES) return share;
        wipe(share);
        last = new SectorCryptError('ERR_AUTH', `a share released as ${share.length} bytes, not ${SLOT_SECRET_BYTES}`);
      } catch (err) {
        last = err;
      }
    }
    if (last === undefined) return { index: sh.index, member, reason: 'no-identity', message: 'no agent given for its broker' };
    return { index: sh.index, member, ...classifyFailure(last) };
  });
  if ('secret' in outcome) {
    // Shares still waiting for an approval are not needed: their requests are withdrawn.
    await Promise.all(agents.map((a) => a.withdrawWaiting?.().catch(() => undefined)));
    return outcome.secret;
  }
  const lines = outcome.failures.map((f) => `${f.member}: ${f.message}`);
  throw Object.assign(
    new SectorCryptError(
      'ERR_THRESHOLD',
      `threshold token ${token.id} (group ${token.group}) needs ${token.k} of ${n} shares and got ${outcome.obtained}; ${lines.join('; ')}`,
    ),
    { groupId: token.group, k: token.k, n, obtained: outcome.obtained, members: outcome.failures },
  );
}

/**
 * Asks the broker for each sectorcrypt-broker token's secret in turn until one opens its slot.
 * Returns the secret (the caller wipes it) with what it opened. A refusal (ERR_DENIED,
 * ERR_PENDING, ...) of the last token tried is thrown as is.
 */
export async function releaseSlotSecret(
  file: ImageFile,
  header: HeaderCopy,
  agent: VolumeAgent | readonly VolumeAgent[],
  onlyToken?: number,
): Promise<{ secret: Uint8Array; unlocked: Unlocked }> {
  const agents: readonly VolumeAgent[] = Array.isArray(agent) ? agent : [agent];
  if (agents.length === 0 || agents.some((a) => typeof a?.unwrap !== 'function'))
    throw new SectorCryptError('ERR_ARGUMENT', 'agent must have an unwrap method (a BrokerAgent), or be a list of them');
  const md = readMetadata(header.meta, header.hdrSize);
  const slotIds = md.keyslots.map((k) => k.id);
  const wanted = (t: { id: string; keyslots: string[] }) =>
    t.keyslots.length > 0 && (onlyToken === undefined || t.id === String(onlyToken));
  // A token whose slot cryptsetup killed keeps an empty keyslots list: nothing to open.
  const tokens = brokerTokens(header.meta, slotIds).filter(wanted);
  const groups = thresholdTokens(header.meta, slotIds).filter(wanted);
  if (tokens.length === 0 && groups.length === 0) {
    throw new SectorCryptError(
      'ERR_NO_IDENTITY',
      onlyToken === undefined
        ? 'the volume has no sectorcrypt-broker or sectorcrypt-threshold token (bind it with `sectorcrypt volume bind`)'
        : `token ${onlyToken} of the volume is not a sectorcrypt-broker or sectorcrypt-threshold token with a key slot`,
    );
  }
  let last: unknown;
  for (const t of tokens) {
    for (const a of tokenAgents(agents, t.url)) {
      let secret: Uint8Array;
      try {
        secret = await a.unwrap(
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
  }
  for (const g of groups) {
    let secret: Uint8Array;
    try {
      secret = await releaseThreshold(g, header.uuid, agents);
    } catch (err) {
      last = err;
      continue;
    }
    try {
      // The key slot's digest checks the rebuilt secret: wrong or mixed shares open nothing.
      return { secret, unlocked: await unlock(file, header, secret, g.keyslots) };
    } catch (err) {
      wipe(secret);
      last = err;
    }
  }
  throw last;
}
