/**
 * Errors from below the cipher layer: the addon's own argument checks and use-after-destroy
 * surface as SectorCryptError with a code; the portable backend recognises @noble/ciphers'
 * tag failure, and this test fails loudly if noble ever words it differently.
 */
import { gcm } from '@noble/ciphers/aes.js';
import { describe, expect, it } from 'vitest';
import { getBackend } from '../src/backend/select.js';
import { loadNative } from '../src/backend/native.js';
import { isTagFailure } from '../src/backend/portable-gcm.js';
import { SectorCryptError } from '../src/errors.js';

const native = loadNative().backend;

describe.skipIf(!native)(`native handles${native ? '' : ' (skipped: the addon did not load)'}`, () => {
  const key = new Uint8Array(32).fill(7);
  const nonce = new Uint8Array(12);

  it('an addon argument error is ERR_ARGUMENT, a SectorCryptError with the addon error as cause', () => {
    const handle = getBackend('native').gcmKey(key);
    let caught: unknown;
    try {
      handle.seal(nonce, new Uint8Array(32), new Uint8Array(0), new Uint8Array(8)); // dst too short
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(SectorCryptError);
    expect(caught).toMatchObject({ code: 'ERR_ARGUMENT' });
    expect((caught as Error).cause).toBeInstanceOf(RangeError);
    handle.destroy();
  });

  it('a destroyed native key is ERR_CLOSED, sync and async', async () => {
    const xts = getBackend('native').xtsKey(new Uint8Array(64).map((_, i) => i));
    xts.destroy();
    const data = new Uint8Array(4096);
    expect(() => xts.encryptSectors(data, data, 4096, new Uint8Array(16), 1)).toThrow(expect.objectContaining({ code: 'ERR_CLOSED' }));
    await expect(xts.encryptSectorsAsync(data, data, 4096, new Uint8Array(16), 1)).rejects.toMatchObject({ code: 'ERR_CLOSED' });
  });
});

describe('portable GCM tag failures', () => {
  it("recognises @noble/ciphers' error for a bad tag (fails if its wording changes)", () => {
    const key = new Uint8Array(32);
    const nonce = new Uint8Array(12);
    const sealed = gcm(key, nonce).encrypt(new Uint8Array(5));
    sealed[sealed.length - 1] ^= 1;
    let caught: unknown;
    try {
      gcm(key, nonce).decrypt(sealed);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(Error);
    expect(isTagFailure(caught)).toBe(true);
  });

  it('does not take other errors for a tag failure', () => {
    expect(isTagFailure(new Error('invalid nonce length'))).toBe(false);
    expect(isTagFailure('invalid tag')).toBe(false);
  });
});
