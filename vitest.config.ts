/**
 * One project runs every test on the best kernel; one more project per lower kernel the
 * CPU has reruns the cipher tests with SECTORCRYPT_KERNEL set (in its own worker
 * processes), so no kernel ships untested.
 */
import { createRequire } from 'node:module';
import { configDefaults, defineConfig } from 'vitest/config';

/** Kernels this CPU runs, best first, as the addon itself reports them (none without it). */
function kernels(): string[] {
  try {
    const require = createRequire(import.meta.url);
    const addon = require('node-gyp-build')(import.meta.dirname) as { kernels(): string[] };
    return addon.kernels();
  } catch {
    return [];
  }
}

/** Test files whose results depend on the kernel. */
const KERNEL_TESTS = ['test/kernel.test.ts', 'test/xts-*.test.ts', 'test/gcm-*.test.ts', 'test/buffers.test.ts', 'test/backends-agree.test.ts'];

export default defineConfig({
  test: {
    pool: 'forks',
    // Many tests wait on child processes (the CLI, cryptsetup, PostgreSQL): a third worker
    // on two cores overlaps that waiting (about 330 s instead of 395 s for the suite here).
    maxWorkers: 3,
    testTimeout: 60_000,
    projects: [
      // The global setup builds src/ once for the child processes the tests start (test/entry.ts).
      // test/console/ drives a browser: scripts/test-console.sh runs it (vitest.console.config.ts).
      {
        extends: true,
        test: { name: 'all', include: ['test/**/*.test.ts'], exclude: [...configDefaults.exclude, 'test/console/**'], globalSetup: ['test/global-setup.ts'] },
      },
      ...kernels()
        .slice(1)
        .map((kernel) => ({
          extends: true,
          test: { name: `kernel:${kernel}`, include: KERNEL_TESTS, env: { SECTORCRYPT_KERNEL: kernel } },
        })),
    ],
  },
});
