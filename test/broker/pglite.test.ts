/** The broker on PGlite in process (one broker for the file: a PGlite start costs seconds). */
import { afterAll, beforeAll, describe } from 'vitest';
import { startBroker, type Clock, type Harness } from './helpers.js';
import { accountsAndKeysSuite } from './suites/accounts-keys.js';
import { releaseSuite } from './suites/release.js';
import { agentUndoSuite } from './suites/agent-undo.js';
import { fuzzSuite } from './suites/fuzz.js';
import { inputSuite } from './suites/input.js';
import { auditLogSuite } from './suites/audit-log.js';
import { tenancyRolesSuite } from './suites/tenancy-roles.js';
import { separationSuite } from './suites/separation.js';
import { managementCliSuite } from './suites/management-cli.js';
import { certificateSuite } from './suites/certificates.js';
import { rootKeySuite } from './suites/root-key.js';
import { auditExportSuite } from './suites/audit-export.js';
import { checkpointSuite, TEST_CHECKPOINTS } from './suites/checkpoints.js';
import { cliTablesSuite } from './suites/cli-tables.js';
import { keyEraseSuite } from './suites/key-erase.js';
import { dataModesSuite } from './suites/data-modes.js';
import { jwksNetworkSuite } from './suites/jwks-network.js';
import { deviceKeysSuite } from './suites/device-keys.js';
import { tpmSuite } from './suites/tpm.js';
import { oidcSuite } from './suites/oidc.js';
import { xksSuite } from './suites/xks.js';
import { xksMtlsSuite } from './suites/xks-mtls.js';
import { join } from 'node:path';
import { Broker } from '../../src/broker/index.js';
import { openStore } from '../../src/broker/store/open.js';

const clock: Clock = { offsetMs: 0 };
let h: Harness;

beforeAll(async () => {
  h = await startBroker({ clock, checkpoints: TEST_CHECKPOINTS });
}, 180_000);
afterAll(async () => h?.stop());

describe('PGlite', () => {
  accountsAndKeysSuite(() => h, 'pglite');
  releaseSuite(() => h, clock);
  agentUndoSuite(() => h);
  fuzzSuite(() => h);
  inputSuite(() => h);
  auditLogSuite(() => h, clock, { cli: true });
  tenancyRolesSuite(() => h);
  separationSuite(() => h);
  managementCliSuite(() => h);
  checkpointSuite(() => h);
  cliTablesSuite(() => h);
  keyEraseSuite({
    start: () => startBroker({ database: 'pglite:disk' }),
    files: (e) => join(e.dir, 'data', 'db'),
    // PGlite opens its folder in one process at a time: the broker stops while the test reads.
    async sealedSecrets(e, keyId) {
      const port = Number(new URL(e.url).port);
      await e.broker.close();
      const store = await openStore(`pglite:${join(e.dir, 'data', 'db')}`);
      let rows: { sealed_secret: Uint8Array | null }[];
      try {
        rows = await store.query('SELECT sealed_secret FROM key_versions WHERE key_id = $1 ORDER BY version', [keyId]);
      } finally {
        await store.close();
      }
      e.broker = await Broker.open({ dataDir: join(e.dir, 'data') });
      await e.broker.listen({ host: '127.0.0.1', port });
      return rows.map((r) => (r.sealed_secret ? new Uint8Array(r.sealed_secret) : null));
    },
    flush: async () => {}, // PGlite writes to its files as it goes (no shared buffers outside them)
  });
  dataModesSuite(async () => undefined);
  jwksNetworkSuite(() => h);
  deviceKeysSuite(() => h);
  tpmSuite(() => h);
  oidcSuite(() => h, { database: async () => undefined });
  xksSuite(() => h);
  xksMtlsSuite(() => h, { serveCli: true });
  auditExportSuite(() => h);
  rootKeySuite(async () => undefined, { shared: false });
  certificateSuite(async () => 'pglite:memory', { child: false });
});
