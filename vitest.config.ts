/**
 * One project runs every test on the best kernel; one more project per lower kernel the
 * CPU has reruns the cipher tests with SECTORCRYPT_KERNEL set (in its own worker
 * processes), so no kernel ships untested.
 */
import { readFileSync, existsSync } from 'node:fs';
import { defineConfig } from 'vitest/config';

function cpuFlags(): Set<string> {
  if (!existsSync('/proc/cpuinfo')) return new Set();
  const line = readFileSync('/proc/cpuinfo', 'utf8').split('\n').find((l) => l.startsWith('flags')) ?? '';
  return new Set(line.split(':')[1]?.trim().split(/\s+/) ?? []);
}

/** Kernels this CPU runs, best first (the addon decides the same from CPUID). */
function kernels(): string[] {
  const f = cpuFlags();
  const has = (...names: string[]) => names.every((n) => f.has(n));
  const list: string[] = [];
  const aesni = has('aes', 'pclmulqdq', 'ssse3', 'sse4_1');
  const avx2 = aesni && has('avx', 'avx2', 'vaes', 'vpclmulqdq');
  if (avx2 && has('avx512f', 'avx512vl', 'avx512bw')) list.push('vaes-avx512');
  if (avx2) list.push('vaes-avx2');
  if (aesni) list.push('aesni');
  return list;
}

/** Test files whose results depend on the kernel. */
const KERNEL_TESTS = ['test/kernel.test.ts', 'test/xts-*.test.ts', 'test/gcm-*.test.ts', 'test/buffers.test.ts', 'test/backends-agree.test.ts'];

export default defineConfig({
  test: {
    pool: 'forks',
    testTimeout: 60_000,
    projects: [
      { extends: true, test: { name: 'all', include: ['test/**/*.test.ts'] } },
      ...kernels()
        .slice(1)
        .map((kernel) => ({
          extends: true,
          test: { name: `kernel:${kernel}`, include: KERNEL_TESTS, env: { SECTORCRYPT_KERNEL: kernel } },
        })),
    ],
  },
});
