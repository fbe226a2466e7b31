/** backendInfo() and backend choice: native where the CPU can, the env override. */
import { afterEach, describe, expect, it } from 'vitest';
import { AesGcm, XtsCipher, backendInfo } from '../src/index.js';
import { cpuHasAesNi } from './backends.js';
import { expectCode } from './bytes.js';

const saved = process.env.SECTORCRYPT_BACKEND;
afterEach(() => {
  if (saved === undefined) delete process.env.SECTORCRYPT_BACKEND;
  else process.env.SECTORCRYPT_BACKEND = saved;
});

const key = new Uint8Array(32).map((_, i) => i);

describe('backendInfo()', () => {
  // Guards against a broken addon silently turning every native test into a portable one.
  it('reports native where /proc/cpuinfo lists aes and pclmulqdq, portable with a reason elsewhere', () => {
    delete process.env.SECTORCRYPT_BACKEND;
    const info = backendInfo();
    if (cpuHasAesNi()) {
      expect(info.backend, `reason: ${info.reason}`).toBe('native');
      expect(['aesni', 'vaes-avx2', 'vaes-avx512', 'armv8-ce']).toContain(info.kernel);
      expect(info.reason).toBeUndefined();
    } else {
      expect(info.backend).toBe('portable');
      expect(info.reason).toMatch(/\w/);
    }
  });

  it('SECTORCRYPT_BACKEND=portable gives the portable backend with a reason', () => {
    process.env.SECTORCRYPT_BACKEND = 'portable';
    const info = backendInfo();
    expect(info.backend).toBe('portable');
    expect(info.kernel).toBe('portable');
    expect(info.reason).toMatch(/SECTORCRYPT_BACKEND/);
    expect(typeof info.cpu).toBe('object');
  });

  it('SECTORCRYPT_BACKEND with an unknown value is ERR_ARGUMENT', () => {
    process.env.SECTORCRYPT_BACKEND = 'fastest';
    expectCode(() => backendInfo(), 'ERR_ARGUMENT');
    expectCode(() => new XtsCipher(key), 'ERR_ARGUMENT', key);
  });

  it('an explicit backend option wins over SECTORCRYPT_BACKEND (which only overrides auto)', () => {
    process.env.SECTORCRYPT_BACKEND = 'portable';
    const a = new XtsCipher(key, { backend: 'portable', sectorSize: 512 });
    const b = new XtsCipher(key, { sectorSize: 512 });
    const data = new Uint8Array(512).fill(1);
    expect(b.encryptSectors(data, 7)).toEqual(a.encryptSectors(data, 7));
    expect(() => new AesGcm(new Uint8Array(16), { backend: 'portable' })).not.toThrow();
  });
});
