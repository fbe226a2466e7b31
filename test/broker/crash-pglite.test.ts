/**
 * kill -9 of a `broker serve` process on the embedded store (PGlite in its data folder) while
 * agents release, then a restart on the same folder (suites/crash.ts; the PostgreSQL run is in
 * postgres.test.ts). Its own file, so that it runs beside the in-process PGlite suites.
 */
import { describe } from 'vitest';
import { crashSuite } from './suites/crash.js';

describe('PGlite in the data folder', () => {
  crashSuite(async () => undefined);
});
