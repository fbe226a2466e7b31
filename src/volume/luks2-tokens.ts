/**
 * LUKS2 tokens. cryptsetup keeps tokens of types it does not know as long as they have a
 * string `type` and a `keyslots` list, and so does sectorcrypt: every token is checked for
 * that shape and kept byte for byte in the JSON; the types read here are
 * `sectorcrypt-broker` (a slot passphrase sealed to a key broker key):
 *   {"type": "sectorcrypt-broker", "keyslots": ["N"], "keyId", "version", "enc", "ciphertext", "url"?}
 * and `sectorcrypt-threshold` (the slot passphrase split k of n, each share sealed to a
 * broker key; docs/volumes.md "Threshold binding"):
 *   {"type": "sectorcrypt-threshold", "keyslots": ["N"], "group", "k",
 *    "shares": [{"index", "keyId", "version", "enc", "ciphertext", "url"?}, ...]}
 */
import { SectorCryptError } from '../errors.js';

export const BROKER_TOKEN = 'sectorcrypt-broker';
export const THRESHOLD_TOKEN = 'sectorcrypt-threshold';
/** Shares in one threshold token: its JSON must fit the header's JSON area with room to spare. */
export const MAX_TOKEN_SHARES = 16;
export const MAX_TOKENS = 32;

type Obj = Record<string, unknown>;

export interface BrokerToken {
  id: string;
  keyslots: string[];
  keyId: string;
  version: number;
  enc: Uint8Array;
  ciphertext: Uint8Array;
  url?: string;
}

function corrupt(what: string): never {
  throw new SectorCryptError('ERR_CORRUPT_HEADER', `LUKS2 metadata: ${what}`);
}

function base64(v: unknown, what: string): Uint8Array {
  if (typeof v !== 'string' || !/^[A-Za-z0-9+/]+={0,2}$/.test(v)) corrupt(`${what} is not base64`);
  return new Uint8Array(Buffer.from(v, 'base64'));
}

/** Checks every token's shape (type, keyslots naming existing slots); returns them by id. */
export function checkTokens(meta: Obj, slotIds: string[]): Map<string, { type: string; keyslots: string[]; token: Obj }> {
  const tokens = meta.tokens === undefined ? {} : meta.tokens;
  if (typeof tokens !== 'object' || tokens === null || Array.isArray(tokens)) corrupt('tokens is not an object');
  const out = new Map<string, { type: string; keyslots: string[]; token: Obj }>();
  for (const [id, v] of Object.entries(tokens as Obj)) {
    if (!/^\d+$/.test(id) || Number(id) >= MAX_TOKENS) corrupt(`token id "${id}" is not a number below ${MAX_TOKENS}`);
    if (typeof v !== 'object' || v === null || Array.isArray(v)) corrupt(`token ${id} is not an object`);
    const t = v as Obj;
    if (typeof t.type !== 'string' || t.type.length === 0) corrupt(`token ${id}.type is not a string`);
    if (!Array.isArray(t.keyslots) || !t.keyslots.every((k) => typeof k === 'string' && slotIds.includes(k))) {
      corrupt(`token ${id}.keyslots does not list existing key slots`);
    }
    out.set(id, { type: t.type, keyslots: t.keyslots as string[], token: t });
  }
  return out;
}

/** The sectorcrypt-broker tokens, checked (ERR_CORRUPT_HEADER when one is malformed). */
export function brokerTokens(meta: Obj, slotIds: string[]): BrokerToken[] {
  return [...checkTokens(meta, slotIds)].flatMap(([id, t]) => {
    if (t.type !== BROKER_TOKEN) return [];
    const what = `token ${id}`;
    const { keyId, version } = t.token;
    if (typeof keyId !== 'string' || !/^[\x21-\x2e\x30-\x7e]{1,128}$/.test(keyId)) corrupt(`${what}.keyId is not a key id`);
    if (typeof version !== 'number' || !Number.isSafeInteger(version) || version < 1) corrupt(`${what}.version is not a positive integer`);
    const enc = base64(t.token.enc, `${what}.enc`);
    if (enc.length !== 32) corrupt(`${what}.enc is not 32 bytes`);
    // The URL is only a note for luksDump and for picking the agent; a malformed one is left out, not refused.
    const url = typeof t.token.url === 'string' && /^https:\/\/[\x21-\x7e]{1,2040}$/.test(t.token.url) ? t.token.url : undefined;
    return [
      {
        id,
        keyslots: t.keyslots,
        keyId,
        version,
        enc,
        ciphertext: base64(t.token.ciphertext, `${what}.ciphertext`),
        ...(url ? { url } : {}),
      },
    ];
  });
}

export interface ThresholdShare {
  index: number;
  keyId: string;
  version: number;
  enc: Uint8Array;
  ciphertext: Uint8Array;
  url?: string;
}

export interface ThresholdToken {
  id: string;
  keyslots: string[];
  group: string;
  k: number;
  shares: ThresholdShare[];
}

/** The sectorcrypt-threshold tokens, checked (ERR_CORRUPT_HEADER when one is malformed). */
export function thresholdTokens(meta: Obj, slotIds: string[]): ThresholdToken[] {
  return [...checkTokens(meta, slotIds)].flatMap(([id, t]) => {
    if (t.type !== THRESHOLD_TOKEN) return [];
    const what = `token ${id}`;
    const { group, k, shares } = t.token;
    if (typeof group !== 'string' || !/^[0-9a-f]{32}$/.test(group)) corrupt(`${what}.group is not 32 hex digits`);
    if (!Array.isArray(shares) || shares.length < 1 || shares.length > MAX_TOKEN_SHARES)
      corrupt(`${what}.shares is not a list of 1 to ${MAX_TOKEN_SHARES}`);
    if (typeof k !== 'number' || !Number.isSafeInteger(k) || k < 1 || k > shares.length)
      corrupt(`${what}.k is not 1 to the number of shares`);
    const seen = new Set<number>();
    const parsed = (shares as unknown[]).map((v, i): ThresholdShare => {
      const w = `${what}.shares[${i}]`;
      if (typeof v !== 'object' || v === null || Array.isArray(v)) corrupt(`${w} is not an object`);
      const sh = v as Obj;
      const { index, keyId, version, url } = sh;
      if (typeof index !== 'number' || !Number.isSafeInteger(index) || index < 1 || index > 255 || seen.has(index))
        corrupt(`${w}.index is not a distinct number from 1 to 255`);
      seen.add(index);
      if (typeof keyId !== 'string' || !/^[\x21-\x2e\x30-\x7e]{1,128}$/.test(keyId)) corrupt(`${w}.keyId is not a key id`);
      if (typeof version !== 'number' || !Number.isSafeInteger(version) || version < 1) corrupt(`${w}.version is not a positive integer`);
      if (url !== undefined && (typeof url !== 'string' || !/^https:\/\/[\x21-\x7e]{1,2000}$/.test(url)))
        corrupt(`${w}.url is not https://...`);
      const enc = base64(sh.enc, `${w}.enc`);
      if (enc.length !== 32) corrupt(`${w}.enc is not 32 bytes`);
      return { index, keyId, version, enc, ciphertext: base64(sh.ciphertext, `${w}.ciphertext`), ...(url !== undefined ? { url } : {}) };
    });
    return [{ id, keyslots: t.keyslots, group, k, shares: parsed }];
  });
}

/** The lowest free token id. */
export function freeTokenId(meta: Obj): string {
  const used = new Set(Object.keys((meta.tokens as Obj | undefined) ?? {}));
  for (let id = 0; id < MAX_TOKENS; id++) if (!used.has(String(id))) return String(id);
  throw new SectorCryptError('ERR_NO_KEYSLOT', `all ${MAX_TOKENS} LUKS2 tokens are in use`);
}

/**
 * A removed slot leaves every token's list (as cryptsetup does); a sectorcrypt-broker or
 * sectorcrypt-threshold token left with no slot goes too, since its secret opens nothing any more.
 */
export function unassignSlot(meta: Obj, slotId: string): void {
  const tokens = (meta.tokens as Record<string, Obj> | undefined) ?? {};
  for (const [id, t] of Object.entries(tokens)) {
    if (!Array.isArray(t.keyslots)) continue;
    t.keyslots = t.keyslots.filter((k) => k !== slotId);
    if ((t.type === BROKER_TOKEN || t.type === THRESHOLD_TOKEN) && (t.keyslots as unknown[]).length === 0) delete tokens[id];
  }
}
