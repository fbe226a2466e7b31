/**
 * The `argon2id` stanza (docs/envelope.md "Recipients and identities"): a passphrase through argon2id (RFC 9106,
 * version 0x13) gives the wrap key; the body is AES-256-GCM of the file key under it, with a
 * zero nonce (each stanza has its own salt, so its own key). Costs above the decoder's
 * limits are refused before the KDF runs.
 */
import { gcm } from '@noble/ciphers/aes.js';
import { randomBytes } from 'node:crypto';
import { argon2id } from 'hash-wasm';
import { wipe } from '../../bytes.js';
import { SectorCryptError } from '../../errors.js';
import { encodeBase64 } from '../base64.js';
import { FILE_KEY_BYTES, LABEL } from '../format.js';
import type { Stanza } from '../header.js';
import { badStanza, bytesArg, expectArgs, expectBody, utf8, type StanzaFields } from './stanza.js';

export const ARGON2ID = 'argon2id';

export interface Argon2idCost {
  /** KiB of memory. */
  memoryKiB: number;
  passes: number;
  lanes: number;
}

/** RFC 9106 section 4, second recommended option: 64 MiB, 3 passes, 4 lanes. */
export const DEFAULT_ARGON2ID: Argon2idCost = { memoryKiB: 64 * 1024, passes: 3, lanes: 4 };
/** The spec's default decoder limits: 4 GiB, 64 passes, 16 lanes. */
export const ARGON2ID_LIMITS: Argon2idCost = { memoryKiB: 4 * 1024 * 1024, passes: 64, lanes: 16 };

const SALT_BYTES = 16;
const AAD = utf8.encode(`${LABEL} argon2id`);
const ZERO_NONCE = new Uint8Array(12);
const DECIMAL = /^(0|[1-9][0-9]{0,15})$/;

/** ERR_ARGUMENT unless the cost is one argon2id accepts and our own decoder would open. */
export function checkCost(cost: Argon2idCost): Argon2idCost {
  const { memoryKiB, passes, lanes } = cost;
  const ok = [memoryKiB, passes, lanes].every((n) => Number.isSafeInteger(n) && n >= 1);
  if (
    !ok ||
    memoryKiB < 8 * lanes ||
    memoryKiB > ARGON2ID_LIMITS.memoryKiB ||
    passes > ARGON2ID_LIMITS.passes ||
    lanes > ARGON2ID_LIMITS.lanes
  ) {
    throw new SectorCryptError(
      'ERR_ARGUMENT',
      'argon2id cost must be whole numbers: lanes 1-16, passes 1-64, memoryKiB from 8 x lanes to 4 GiB',
    );
  }
  return cost;
}

async function wrapKey(passphrase: Uint8Array, salt: Uint8Array, cost: Argon2idCost): Promise<Uint8Array> {
  return argon2id({
    password: passphrase,
    salt,
    memorySize: cost.memoryKiB,
    iterations: cost.passes,
    parallelism: cost.lanes,
    hashLength: 32,
    outputType: 'binary',
  });
}

export async function sealArgon2id(passphrase: Uint8Array, cost: Argon2idCost, fileKey: Uint8Array): Promise<StanzaFields> {
  const salt = new Uint8Array(randomBytes(SALT_BYTES));
  const key = await wrapKey(passphrase, salt, checkCost(cost));
  try {
    const body = gcm(key, ZERO_NONCE, AAD).encrypt(fileKey);
    return { type: ARGON2ID, args: [encodeBase64(salt), String(cost.memoryKiB), String(cost.passes), String(cost.lanes)], body };
  } finally {
    wipe(key);
  }
}

/** The costs a stanza names, refused (ERR_UNSUPPORTED) above `limits` before any KDF work. */
export function stanzaCost(stanza: Stanza, limits: Argon2idCost = ARGON2ID_LIMITS): Argon2idCost {
  expectArgs(stanza, 4);
  const [memoryKiB, passes, lanes] = stanza.args.slice(1).map((text) => {
    if (!DECIMAL.test(text)) throw badStanza(stanza, 'costs are decimal integers without leading zeros');
    return Number(text);
  });
  if (memoryKiB > limits.memoryKiB || passes > limits.passes || lanes > limits.lanes) {
    throw new SectorCryptError(
      'ERR_UNSUPPORTED',
      `argon2id cost above this decoder's limits (memory ${memoryKiB} KiB, ${passes} passes, ${lanes} lanes; limits ${limits.memoryKiB} KiB, ${limits.passes}, ${limits.lanes})`,
    );
  }
  if (passes < 1 || lanes < 1 || memoryKiB < 8 * lanes)
    throw badStanza(stanza, 'argon2id needs passes >= 1, lanes >= 1, memory >= 8 x lanes KiB');
  return { memoryKiB, passes, lanes };
}

export async function openArgon2id(passphrase: Uint8Array, stanza: Stanza, limits?: Argon2idCost): Promise<Uint8Array | undefined> {
  const cost = stanzaCost(stanza, limits);
  const salt = bytesArg(stanza, 0, SALT_BYTES);
  expectBody(stanza, FILE_KEY_BYTES + 16);
  const key = await wrapKey(passphrase, salt, cost);
  try {
    return gcm(key, ZERO_NONCE, AAD).decrypt(stanza.body);
  } catch {
    return undefined; // another passphrase
  } finally {
    wipe(key);
  }
}
