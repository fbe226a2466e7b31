/** The broker on PGlite in process (one broker for the file: a PGlite start costs seconds). */
import { afterAll, beforeAll, describe } from 'vitest';
import { startBroker, type Clock, type Harness } from './helpers.js';
import { accountsAndKeysSuite } from './suites/accounts-keys.js';
import { releaseSuite } from './suites/release.js';
import { fuzzSuite } from './suites/fuzz.js';
import { auditLogSuite } from './suites/audit-log.js';
import { tenancyRolesSuite } from './suites/tenancy-roles.js';
import { separationSuite } from './suites/separation.js';
import { certificateSuite } from './suites/certificates.js';
import { rootKeySuite } from './suites/root-key.js';
import { auditExportSuite } from './suites/audit-export.js';
import { checkpointSuite, TEST_CHECKPOINTS } from './suites/checkpoints.js';
import { cliTablesSuite } from './suites/cli-tables.js';

const clock: Clock = { offsetMs: 0 };
let h: Harness;

beforeAll(async () => {
  h = await startBroker({ clock, checkpoints: TEST_CHECKPOINTS });
}, 180_000);
afterAll(async () => h?.stop());

describe('PGlite', () => {
  accountsAndKeysSuite(() => h, 'pglite');
  releaseSuite(() => h, clock);
  fuzzSuite(() => h);
  auditLogSuite(() => h, clock, { cli: true });
  tenancyRolesSuite(() => h);
  separationSuite(() => h);
  checkpointSuite(() => h);
  cliTablesSuite(() => h);
  auditExportSuite(() => h);
  rootKeySuite(async () => undefined, { shared: false });
  certificateSuite(async () => 'pglite:memory', { child: false });
});
