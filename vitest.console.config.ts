/**
 * The console's browser tests (test/console/), run by scripts/test-console.sh apart from
 * `npm test`: each drives Debian's Chromium against a broker it starts, one file at a time.
 */
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/console/**/*.test.ts'],
    pool: 'forks',
    maxWorkers: 1,
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 180_000,
  },
});
