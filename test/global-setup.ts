/**
 * Vitest global setup: builds src/ once for the run (test/build-for-tests.ts) and hands the
 * folder to the test workers in SECTORCRYPT_TEST_BUILD, which test/entry.ts reads. With
 * SECTORCRYPT_TEST_TSX=1 nothing is built and child processes run the sources through tsx.
 */
import type { TestProject } from 'vitest/node';
import { buildForTests, removeBuild } from './build-for-tests.js';

export default async function setup(project: TestProject): Promise<(() => void) | undefined> {
  if (process.env.SECTORCRYPT_TEST_TSX === '1') {
    delete process.env.SECTORCRYPT_TEST_BUILD;
    return undefined;
  }
  const dir = await buildForTests();
  process.env.SECTORCRYPT_TEST_BUILD = dir;
  // Watch mode: the sources may have changed before a rerun.
  project.onTestsRerun(async () => {
    await buildForTests();
  });
  return () => removeBuild(dir);
}
