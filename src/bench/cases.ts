/**
 * What `sectorcrypt bench` measures: for each mode, key size and unit, sectorcrypt on
 * every native kernel and on the portable backend, beside node:crypto (called as its
 * users must: one cipher object per sector or message) and @noble/ciphers.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { le128 } from '../tweak.js';
import { ecb, gcm } from '@noble/ciphers/aes.js';
import { AesGcm } from '../gcm.js';
import { XtsCipher } from '../xts.js';

export type Mode = 'xts' | 'gcm';

/** What a measurement is of. */
export interface CaseInfo {
  mode: Mode;
  keyBits: number;
  /** Sector size (XTS) or message size (GCM), bytes. */
  unit: number;
  /** Bytes handled per timed call. */
  batch: number;
  /** 'native', 'portable', 'node:crypto' or '@noble/ciphers'. */
  backend: string;
  /** Native kernel, 'portable', 'openssl' or the noble primitive. */
  kernel: string;
}

export interface Case extends CaseInfo {
  encrypt: () => unknown;
  decrypt: () => unknown;
}

/** Where sectorcrypt runs: a native kernel or the portable backend. */
export interface Target {
  backend: 'native' | 'portable';
  kernel: string;
}

export const XTS_BATCH = 1 << 20;
export const GCM_MESSAGE = 16 * 1024;

function xtsCases(keyBits: number, sector: number, targets: Target[]): Case[] {
  const key = randomBytes(keyBits / 4);
  const data = randomBytes(XTS_BATCH);
  const cases: Case[] = [];
  for (const t of targets) {
    const xts = new XtsCipher(key, { sectorSize: sector, backend: t.backend, ...(t.backend === 'native' ? { kernel: t.kernel } : {}) });
    // In place, as a volume agent encrypts its I/O buffers.
    cases.push({
      mode: 'xts',
      keyBits,
      unit: sector,
      batch: XTS_BATCH,
      ...t,
      encrypt: () => xts.encryptSectors(data, 1000, data),
      decrypt: () => xts.decryptSectors(data, 1000, data),
    });
  }
  const cipher = `aes-${keyBits}-xts`;
  const sectors = XTS_BATCH / sector;
  const perSector = (encrypt: boolean) => () => {
    for (let i = 0; i < sectors; i++) {
      const c = encrypt ? createCipheriv(cipher, key, le128(BigInt(1000 + i))) : createDecipheriv(cipher, key, le128(BigInt(1000 + i)));
      c.update(data.subarray(i * sector, (i + 1) * sector));
      c.final();
    }
  };
  cases.push({
    mode: 'xts',
    keyBits,
    unit: sector,
    batch: XTS_BATCH,
    backend: 'node:crypto',
    kernel: 'openssl',
    encrypt: perSector(true),
    decrypt: perSector(false),
  });
  // noble has no XTS: its raw ECB over the same batch is the bound a noble-based XTS could reach.
  // A noble cipher object serves one call, so each call makes one, as its users must.
  const half = key.subarray(0, key.length / 2);
  const out = new Uint8Array(XTS_BATCH);
  cases.push({
    mode: 'xts',
    keyBits,
    unit: sector,
    batch: XTS_BATCH,
    backend: '@noble/ciphers',
    kernel: 'ecb (no xts)',
    encrypt: () => ecb(half, { disablePadding: true }).encrypt(data, out),
    decrypt: () => ecb(half, { disablePadding: true }).decrypt(data, out),
  });
  return cases;
}

function gcmCases(keyBits: number, targets: Target[]): Case[] {
  const key = randomBytes(keyBits / 8);
  const nonce = randomBytes(12);
  const message = randomBytes(GCM_MESSAGE);
  const cases: Case[] = [];
  for (const t of targets) {
    const aead = new AesGcm(key, { backend: t.backend, ...(t.backend === 'native' ? { kernel: t.kernel } : {}) });
    const sealed = aead.seal(nonce, message);
    const opened = new Uint8Array(GCM_MESSAGE);
    cases.push({
      mode: 'gcm',
      keyBits,
      unit: GCM_MESSAGE,
      batch: GCM_MESSAGE,
      ...t,
      encrypt: () => aead.seal(nonce, message, undefined, sealed),
      decrypt: () => aead.open(nonce, sealed, undefined, opened),
    });
  }
  const cipher = `aes-${keyBits}-gcm` as 'aes-128-gcm' | 'aes-256-gcm';
  const ref = createCipheriv(cipher, key, nonce);
  const ct = Buffer.concat([ref.update(message), ref.final()]);
  const tag = ref.getAuthTag();
  cases.push({
    mode: 'gcm',
    keyBits,
    unit: GCM_MESSAGE,
    batch: GCM_MESSAGE,
    backend: 'node:crypto',
    kernel: 'openssl',
    encrypt: () => {
      const c = createCipheriv(cipher, key, nonce);
      c.update(message);
      c.final();
      return c.getAuthTag();
    },
    decrypt: () => {
      const d = createDecipheriv(cipher, key, nonce);
      d.setAuthTag(tag);
      d.update(ct);
      return d.final();
    },
  });
  const nobleSealed = gcm(key, nonce).encrypt(message);
  cases.push({
    mode: 'gcm',
    keyBits,
    unit: GCM_MESSAGE,
    batch: GCM_MESSAGE,
    backend: '@noble/ciphers',
    kernel: 'gcm',
    encrypt: () => gcm(key, nonce).encrypt(message),
    decrypt: () => gcm(key, nonce).decrypt(nobleSealed),
  });
  return cases;
}

export interface CaseOptions {
  modes: Mode[];
  targets: Target[];
}

export function buildCases(opts: CaseOptions): Case[] {
  const cases: Case[] = [];
  if (opts.modes.includes('xts')) {
    for (const keyBits of [128, 256]) {
      for (const sector of [4096, 512]) cases.push(...xtsCases(keyBits, sector, opts.targets));
    }
  }
  if (opts.modes.includes('gcm')) {
    for (const keyBits of [128, 256]) cases.push(...gcmCases(keyBits, opts.targets));
  }
  return cases;
}
