/** The kernel projects (vitest.config.ts) must really run the kernel they name. */
import { describe, expect, it } from 'vitest';
import { backendInfo } from '../src/index.js';
import { cpuHasAesNi } from './backends.js';

describe('kernel in use', () => {
  it('is the one SECTORCRYPT_KERNEL names, else the best the CPU runs', () => {
    const info = backendInfo();
    const forced = process.env.SECTORCRYPT_KERNEL;
    if (forced) {
      expect(info.backend).toBe('native');
      expect(info.kernel).toBe(forced);
    } else if (cpuHasAesNi()) {
      expect(info.backend).toBe('native');
      expect(['aesni', 'vaes-avx2', 'vaes-avx512', 'armv8-ce']).toContain(info.kernel);
    } else {
      expect(info.backend).toBe('portable');
    }
  });
});
