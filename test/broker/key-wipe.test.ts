/**
 * Secrets in memory are let go or wiped when done (docs/broker.md "Keys"): the key objects
 * VersionKeys caches are disposed when a version is retired, the key destroyed or the broker
 * closed, so a recipient handed out before opens nothing afterwards; the buffer root.key was
 * read into is wiped once copied; the AEAD key @hpke/core hands its context is wiped once
 * imported.
 */
import { describe, expect, it, vi } from 'vitest';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { VersionKeys, makeKeyVersion, sealTo, type KeyVersionRow } from '../../src/broker/keys/version-keys.js';
import { hpkeOpenWith } from '../../src/keys/hpke.js';
import { NodeAesGcm } from '../../src/keys/hpke-node.js';
import { createDataDir, readDataDir } from '../../src/broker/data-dir/files.js';

const te = new TextEncoder();

// Every buffer readFile hands back for a root.key, as src/broker/data-dir/files.ts gets it.
const rootKeyReads = vi.hoisted(() => [] as Buffer[]);
vi.mock('node:fs/promises', async (original) => {
  const real = await original<typeof import('node:fs/promises')>();
  const readFile = async (...args: Parameters<typeof real.readFile>) => {
    const b = await real.readFile(...args);
    if (String(args[0]).endsWith('root.key') && Buffer.isBuffer(b)) rootKeyReads.push(b);
    return b;
  };
  return { ...real, default: { ...real, readFile }, readFile };
});

async function version(rootKey: Uint8Array, keyId: string, v: number): Promise<KeyVersionRow> {
  const made = await makeKeyVersion(rootKey, 'tn_a', keyId, v);
  return {
    tenant_id: 'tn_a',
    key_id: keyId,
    version: v,
    public_key: made.publicKey,
    sealed_secret: made.sealed,
    retired_at: null,
    destroyed_at: null,
  };
}

describe('VersionKeys', () => {
  const rootKey = randomBytes(32);
  const secret = new Uint8Array(32).fill(9);

  async function opened(vk: VersionKeys, v: KeyVersionRow) {
    const sealed = await sealTo(v, 'envelope', '', secret);
    expect(await vk.open(v, 'envelope', '', sealed)).toEqual(secret);
    const r = vk.peek(v.tenant_id, v.key_id, v.version)!;
    expect(r).toBeDefined();
    const { info, aad } = { info: te.encode('sectorcrypt-envelope/v1 broker'), aad: te.encode(`${v.key_id}/${v.version}`) };
    // The cached recipient opens while it is held...
    expect(await hpkeOpenWith(r, sealed.enc, info, aad, sealed.ciphertext)).toEqual(secret);
    return { r, again: () => hpkeOpenWith(r, sealed.enc, info, aad, sealed.ciphertext) };
  }

  it('disposes the key object of a version forgotten (destroyed), so the recipient handed out opens nothing', async () => {
    const vk = new VersionKeys(rootKey);
    const one = await opened(vk, await version(rootKey, 'key_d', 1));
    const two = await opened(vk, await version(rootKey, 'key_d', 2));
    const other = await opened(vk, await version(rootKey, 'key_o', 1));
    vk.forget('tn_a', 'key_d');
    await expect(one.again()).rejects.toMatchObject({ code: 'ERR_AUTH' });
    await expect(two.again()).rejects.toMatchObject({ code: 'ERR_AUTH' });
    expect(vk.peek('tn_a', 'key_d', 1)).toBeUndefined();
    expect(await other.again()).toEqual(secret); // another key is untouched
  });

  it('disposes only the retired version; the others stay cached and open', async () => {
    const vk = new VersionKeys(rootKey);
    const one = await opened(vk, await version(rootKey, 'key_r', 1));
    const two = await opened(vk, await version(rootKey, 'key_r', 2));
    vk.forget('tn_a', 'key_r', 1);
    await expect(one.again()).rejects.toMatchObject({ code: 'ERR_AUTH' });
    expect(await two.again()).toEqual(secret);
    expect(vk.peek('tn_a', 'key_r', 2)).toBe(two.r);
  });

  it('disposes every key object when cleared (the broker closing) and when one is pushed out', async () => {
    const vk = new VersionKeys(rootKey, 1);
    const one = await opened(vk, await version(rootKey, 'key_c', 1));
    const two = await opened(vk, await version(rootKey, 'key_c', 2)); // pushes version 1 out
    await expect(one.again()).rejects.toMatchObject({ code: 'ERR_AUTH' });
    vk.clear();
    await expect(two.again()).rejects.toMatchObject({ code: 'ERR_AUTH' });
  });
});

describe('root.key', () => {
  it('the buffer it is read into is wiped once copied', async () => {
    const dir = join(await mkdtemp(join(tmpdir(), 'sc-wipe-')), 'data');
    await createDataDir(dir, [], 'pglite:memory');
    try {
      const files = await readDataDir(dir);
      expect(files.rootKey.some((b) => b !== 0)).toBe(true);
      expect(rootKeyReads.length).toBe(1);
      expect(rootKeyReads[0]!.every((b) => b === 0)).toBe(true);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('HPKE AEAD context (hpke-node)', () => {
  it('wipes the key it is given once imported, and still seals and opens', async () => {
    const key = new Uint8Array(32).fill(7);
    const ctx = new NodeAesGcm(256).createEncryptionContext(key.buffer);
    expect(key.every((b) => b === 0)).toBe(true);
    const iv = new Uint8Array(12);
    const ct = await ctx.seal(iv.buffer, te.encode('hello').buffer, new ArrayBuffer(0));
    expect(new TextDecoder().decode(await ctx.open(iv.buffer, ct, new ArrayBuffer(0)))).toBe('hello');
  });
});
