/** encryptEnvelope / decryptEnvelope: a whole envelope in memory. */
import { randomBytes } from 'node:crypto';
import type { BackendChoice } from '../backend/select.js';
import { checkBytes, wipe } from '../bytes.js';
import { decryptChunked, encryptChunked } from '../chunked/oneshot.js';
import { FILE_KEY_BYTES } from './format.js';
import { parseHeader } from './header.js';
import { toOpeners, type Identity } from './identities.js';
import { payloadKey } from './key-schedule.js';
import { checkObject } from './options.js';
import { payloadOptions } from './payload.js';
import type { Recipient } from './recipients.js';
import { encryptSealers, sealHeader } from './seal-header.js';
import type { ThresholdOptions } from './threshold.js';
import { envelopeResource } from './stanzas/broker.js';
import type { Argon2idCost } from './stanzas/argon2id.js';
import { unwrapFileKey } from './unwrap.js';

export interface EnvelopeEncryptOptions {
  /** Each opens the envelope alone (optional when `threshold` is given). */
  recipients?: Recipient[];
  /** A threshold group: any `k` of its recipients together open the envelope (docs/envelope.md "Threshold groups"). */
  threshold?: ThresholdOptions;
  backend?: BackendChoice;
}

export interface EnvelopeDecryptOptions {
  identities: Identity[];
  /** Highest argon2id costs to run (default 4 GiB, 64 passes, 16 lanes). */
  argon2idLimits?: Argon2idCost;
  backend?: BackendChoice;
}

export const ENCRYPT_KEYS = ['recipients', 'threshold', 'backend'] as const;
export const DECRYPT_KEYS = ['identities', 'argon2idLimits', 'backend'] as const;

export async function encryptEnvelope(plaintext: Uint8Array, options: EnvelopeEncryptOptions): Promise<Uint8Array> {
  const opts = checkObject(options, 'options', ENCRYPT_KEYS) as unknown as EnvelopeEncryptOptions;
  const plain = checkBytes(plaintext, 'plaintext');
  const sealers = encryptSealers(opts);
  const fileKey = new Uint8Array(randomBytes(FILE_KEY_BYTES));
  const key = payloadKey(fileKey);
  try {
    const header = await sealHeader(fileKey, sealers);
    const payload = encryptChunked(key, plain, payloadOptions(opts.backend));
    const out = new Uint8Array(header.length + payload.length);
    out.set(header, 0);
    out.set(payload, header.length);
    return out;
  } finally {
    wipe(fileKey, key);
  }
}

/** The file key this header yields to these identities (MAC checked), and the openers wiped. */
export async function openFileKey(
  header: Parameters<typeof unwrapFileKey>[0],
  opts: EnvelopeDecryptOptions,
  payloadStart: Uint8Array,
): Promise<Uint8Array> {
  const openers = toOpeners(opts.identities);
  try {
    const resource = payloadStart.length >= 24 ? envelopeResource(payloadStart) : undefined;
    return await unwrapFileKey(header, openers, { resource, argon2idLimits: opts.argon2idLimits });
  } finally {
    for (const o of openers) o.forget();
  }
}

/** The plaintext, once the header MAC and every payload chunk authenticated. */
export async function decryptEnvelope(envelope: Uint8Array, options: EnvelopeDecryptOptions): Promise<Uint8Array> {
  const opts = checkObject(options, 'options', DECRYPT_KEYS) as unknown as EnvelopeDecryptOptions;
  const bytes = checkBytes(envelope, 'envelope');
  toOpeners(opts.identities).forEach((o) => o.forget()); // argument errors first
  const header = parseHeader(bytes);
  const payload = bytes.subarray(header.bytes.length);
  const fileKey = await openFileKey(header, opts, payload);
  const key = payloadKey(fileKey);
  try {
    return decryptChunked(key, payload, payloadOptions(opts.backend));
  } finally {
    wipe(fileKey, key);
  }
}
