/**
 * `info` and `bench` where the native addon cannot load (the loader is replaced for this file
 * only, as in test/backend-unavailable.test.ts): a forced native backend is an error, not a
 * report of the portable fallback that no other command would use.
 */
import { Command } from 'commander';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { registerInfo } from '../../src/cli/info.js';
import { registerBench } from '../../src/cli/bench.js';
import { backendInfo } from '../../src/backend/select.js';

vi.mock('../../src/backend/native.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../src/backend/native.js')>();
  return {
    ...real,
    loadNative: () => ({ cpu: {}, kernels: [], byKernel: new Map(), reason: 'native addon did not load: no binary (test)' }),
  };
});

const saved = process.env.SECTORCRYPT_BACKEND;
afterEach(() => {
  if (saved === undefined) delete process.env.SECTORCRYPT_BACKEND;
  else process.env.SECTORCRYPT_BACKEND = saved;
});

function program(): { cmd: Command; out: string[] } {
  const out: string[] = [];
  const cmd = new Command().exitOverride();
  registerInfo(cmd);
  registerBench(cmd);
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => (out.push(String(chunk)), true));
  return { cmd, out };
}

describe('without the native addon', () => {
  it('SECTORCRYPT_BACKEND=native sectorcrypt info is ERR_BACKEND_UNAVAILABLE and prints nothing', async () => {
    process.env.SECTORCRYPT_BACKEND = 'native';
    const { cmd, out } = program();
    try {
      await expect(cmd.parseAsync(['node', 'sectorcrypt', 'info'])).rejects.toMatchObject({ code: 'ERR_BACKEND_UNAVAILABLE' });
      expect(out.join('')).toBe('');
    } finally {
      vi.restoreAllMocks();
    }
  });

  it('backendInfo() under SECTORCRYPT_BACKEND=native throws ERR_BACKEND_UNAVAILABLE instead of reporting portable', () => {
    process.env.SECTORCRYPT_BACKEND = 'native';
    expect(() => backendInfo()).toThrow(expect.objectContaining({ code: 'ERR_BACKEND_UNAVAILABLE' }));
    delete process.env.SECTORCRYPT_BACKEND;
    expect(backendInfo()).toMatchObject({ backend: 'portable', reason: expect.stringMatching(/no binary/) });
  });

  it('info without the override reports portable and the reason', async () => {
    delete process.env.SECTORCRYPT_BACKEND;
    const { cmd, out } = program();
    try {
      await cmd.parseAsync(['node', 'sectorcrypt', 'info']);
    } finally {
      vi.restoreAllMocks();
    }
    expect(out.join('')).toMatch(/backend: portable[\s\S]*reason: .*no binary \(test\)/);
  });

  it('bench --backend native and bench --kernel aesni are ERR_BACKEND_UNAVAILABLE', async () => {
    for (const args of [
      ['--backend', 'native'],
      ['--kernel', 'aesni'],
    ]) {
      const { cmd } = program();
      try {
        await expect(cmd.parseAsync(['node', 'sectorcrypt', 'bench', '--seconds', '0.01', ...args])).rejects.toMatchObject({
          code: 'ERR_BACKEND_UNAVAILABLE',
        });
      } finally {
        vi.restoreAllMocks();
      }
    }
  });
});
