/**
 * Where the native addon cannot load: 'auto' falls back to portable with the reason, and
 * asking for 'native' is ERR_BACKEND_UNAVAILABLE. The loader is replaced for this file only
 * (vitest runs each test file in its own module graph), standing in for a missing binary.
 */
import { describe, expect, it, vi } from 'vitest';
import { AesGcm, XtsCipher, backendInfo } from '../src/index.js';
import { expectCode } from './bytes.js';

vi.mock('../src/backend/native.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('../src/backend/native.js')>();
  return {
    ...real,
    loadNative: () => ({ cpu: {}, kernels: [], reason: 'native addon did not load: no binary (test)' }),
  };
});

describe('native addon unavailable', () => {
  it('backendInfo() reports portable with the loader reason', () => {
    const saved = process.env.SECTORCRYPT_BACKEND;
    delete process.env.SECTORCRYPT_BACKEND;
    try {
      const info = backendInfo();
      expect(info.backend).toBe('portable');
      expect(info.kernel).toBe('portable');
      expect(info.reason).toContain('no binary (test)');
    } finally {
      if (saved !== undefined) process.env.SECTORCRYPT_BACKEND = saved;
    }
  });

  it("backend: 'native' is ERR_BACKEND_UNAVAILABLE for XtsCipher and AesGcm", () => {
    const xtsKey = new Uint8Array(64).map((_, i) => i);
    const gcmKey = new Uint8Array(32).map((_, i) => 255 - i);
    const err = expectCode(() => new XtsCipher(xtsKey, { backend: 'native' }), 'ERR_BACKEND_UNAVAILABLE', xtsKey);
    expect(err.message).toContain('no binary (test)');
    expectCode(() => new AesGcm(gcmKey, { backend: 'native' }), 'ERR_BACKEND_UNAVAILABLE', gcmKey);
  });

  it("'auto' still works (portable)", () => {
    const xts = new XtsCipher(
      new Uint8Array(32).map((_, i) => i),
      { sectorSize: 512 },
    );
    expect(xts.encryptSectors(new Uint8Array(512), 0).length).toBe(512);
  });
});
