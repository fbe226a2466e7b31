/**
 * argon2id costs above the decoder's limits are refused (ERR_UNSUPPORTED) before the KDF
 * runs: hash-wasm's argon2id is wrapped so the test sees every call.
 */
import { randomBytes } from 'node:crypto';
import { beforeEach, describe, expect, it, vi } from 'vitest';

const calls = vi.hoisted(() => ({ count: 0 }));
vi.mock('hash-wasm', async (importOriginal) => {
  const real = await importOriginal<typeof import('hash-wasm')>();
  return {
    ...real,
    argon2id: (options: Parameters<typeof real.argon2id>[0]) => {
      calls.count++;
      return real.argon2id(options);
    },
  };
});

const { decryptEnvelope, encryptEnvelope } = await import('../../src/index.js');
const { craft, encodeStanza } = await import('./craft.js');

const salt = Buffer.alloc(16).toString('base64').replace(/=+$/, '');
const stanza = (memory: string, passes: string, lanes: string) => encodeStanza('argon2id', [salt, memory, passes, lanes], randomBytes(48));

beforeEach(() => {
  calls.count = 0;
});

describe('argon2id cost limits', () => {
  it('memory above 4 GiB, passes above 64, lanes above 16: ERR_UNSUPPORTED, the KDF never called', async () => {
    for (const s of [
      stanza('4194305', '1', '1'),
      stanza('1048576', '65', '1'),
      stanza('1048576', '1', '17'),
      stanza('99999999999999', '1', '1'),
    ]) {
      await expect(decryptEnvelope(craft(randomBytes(32), [s]), { identities: [{ passphrase: 'p' }] })).rejects.toThrow(/ERR_UNSUPPORTED/);
    }
    expect(calls.count).toBe(0);
  });

  it('a caller may set lower limits', async () => {
    const env = await encryptEnvelope(new Uint8Array(3), {
      recipients: [{ passphrase: 'p', argon2id: { memoryKiB: 1024, passes: 2, lanes: 1 } }],
    });
    expect(calls.count).toBe(1);
    await expect(
      decryptEnvelope(env, { identities: [{ passphrase: 'p' }], argon2idLimits: { memoryKiB: 512, passes: 64, lanes: 16 } }),
    ).rejects.toThrow(/ERR_UNSUPPORTED/);
    expect(calls.count).toBe(1);
    expect(await decryptEnvelope(env, { identities: [{ passphrase: 'p' }] })).toEqual(new Uint8Array(3));
    expect(calls.count).toBe(2);
  });

  it('a wrong passphrase runs the KDF once and is ERR_NO_IDENTITY', async () => {
    const env = await encryptEnvelope(new Uint8Array(3), {
      recipients: [{ passphrase: 'p', argon2id: { memoryKiB: 256, passes: 1, lanes: 1 } }],
    });
    calls.count = 0;
    await expect(decryptEnvelope(env, { identities: [{ passphrase: 'q' }] })).rejects.toThrow(/ERR_NO_IDENTITY/);
    expect(calls.count).toBe(1);
  });

  it('writers refuse costs their own decoder would refuse', async () => {
    await expect(
      encryptEnvelope(new Uint8Array(1), {
        recipients: [{ passphrase: 'p', argon2id: { memoryKiB: 8 * 1024 * 1024, passes: 1, lanes: 1 } }],
      }),
    ).rejects.toThrow(/ERR_ARGUMENT/);
    await expect(
      encryptEnvelope(new Uint8Array(1), { recipients: [{ passphrase: 'p', argon2id: { memoryKiB: 1024, passes: 0, lanes: 1 } }] }),
    ).rejects.toThrow(/ERR_ARGUMENT/);
    expect(calls.count).toBe(0);
  });
});

describe('malformed stanzas are refused before any KDF', () => {
  it('a bad X25519 stanza beside a passphrase stanza: ERR_CORRUPT_HEADER, argon2id never run', async () => {
    const good = stanza('256', '1', '1');
    const badX = encodeStanza('X25519', ['AAAA', 'AAAA'], randomBytes(48));
    await expect(decryptEnvelope(craft(randomBytes(32), [good, badX]), { identities: [{ passphrase: 'p' }] })).rejects.toThrow(
      /ERR_CORRUPT_HEADER/,
    );
    const badKw = encodeStanza('aes256-kw', ['id'], randomBytes(39));
    await expect(decryptEnvelope(craft(randomBytes(32), [good, badKw]), { identities: [{ passphrase: 'p' }] })).rejects.toThrow(
      /ERR_CORRUPT_HEADER/,
    );
    expect(calls.count).toBe(0);
  });
});
