/**
 * The release path's admission statement, one request at a time against a batch: 32
 * concurrent calls of sc_admit_release, then one call of sc_admit_releases with 32 items
 * (src/broker/release-admissions.ts), on PGlite in memory and on a PostgreSQL 15 server the
 * bench starts (fsync on). Prints the time per admission of each, over 30 rounds, twice
 * (the first pass includes warming up).
 *
 *   node --import tsx bench/broker-admission.ts
 */
import { openStore } from '../src/broker/store/open.js';
import { startPostgres } from '../test/broker/postgres-server.js';

const ROUNDS = 30;
const BATCH = 32;

async function measure(label: string, url: string): Promise<void> {
  const db = await openStore(url);
  try {
    await db.query("INSERT INTO tenants (id, tenant_id, name) VALUES ('tn_bench', 'tn_bench', 'bench')");
    await db.query(
      "INSERT INTO devices (tenant_id, id, name, public_key, groups, description) VALUES ('tn_bench', 'dev_bench', 'bench', $1, '{bench}', '{}')",
      [new Uint8Array(32)],
    );
    let n = 0;
    for (let pass = 1; pass <= 2; pass++) {
      let t0 = performance.now();
      for (let r = 0; r < ROUNDS; r++) {
        await Promise.all(
          Array.from({ length: BATCH }, () =>
            db.query('SELECT * FROM sc_admit_release($1, $2, $3, $4, $5)', ['tn_bench', 'dev_bench', `n${n++}`, 'key_bench', 1]),
          ),
        );
      }
      const single = (performance.now() - t0) / (ROUNDS * BATCH);
      t0 = performance.now();
      for (let r = 0; r < ROUNDS; r++) {
        const items = Array.from({ length: BATCH }, (_, i) => ({ i, t: 'tn_bench', d: 'dev_bench', n: `n${n++}`, k: 'key_bench', v: 1 }));
        await db.query('SELECT * FROM sc_admit_releases($1::jsonb)', [JSON.stringify(items)]);
      }
      const batched = (performance.now() - t0) / (ROUNDS * BATCH);
      console.log(
        JSON.stringify({
          store: label,
          pass,
          msPerAdmissionAlone: Number(single.toFixed(3)),
          msPerAdmissionIn32: Number(batched.toFixed(3)),
        }),
      );
    }
  } finally {
    await db.close();
  }
}

await measure('pglite (memory)', 'pglite:memory');
const pg = await startPostgres({ durable: true });
if (!pg.server) console.log(JSON.stringify({ store: 'postgres', skipped: pg.reason }));
else {
  try {
    await measure('postgres', await pg.server.createDatabase('bench'));
  } finally {
    await pg.server.stop();
  }
}
