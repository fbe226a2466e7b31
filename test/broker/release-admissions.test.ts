/**
 * Batched release admission (src/broker/release/admissions.ts, sc_admit_releases) on the real
 * schema in an in-memory PGlite: a batch answers each request with its own row, in any
 * order; a nonce is fresh once, within a batch and across batches; an item the database
 * refuses fails alone, and the rest of its batch is still admitted.
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import { openStore } from '../../src/broker/store/open.js';
import type { Store } from '../../src/broker/store/types.js';
import { ReleaseAdmissions, type Admission } from '../../src/broker/release/admissions.js';

type Row = { fresh: number; revoked_at: string | null; key_id: string | null; version: number | null; policies: unknown[] };

let db: Store;
beforeAll(async () => {
  db = await openStore('pglite:memory');
  await db.query("INSERT INTO tenants (id, tenant_id, name) VALUES ('ta', 'ta', 'ta')");
  for (const d of ['d1', 'd2']) {
    await db.query("INSERT INTO devices (tenant_id, id, name, public_key, groups, description) VALUES ('ta', $1, $1, $2, '{}', '{}')", [
      d,
      new Uint8Array(32).fill(d === 'd1' ? 1 : 2),
    ]);
  }
  await db.query("UPDATE devices SET revoked_at = now() WHERE id = 'd2'");
  await db.query('INSERT INTO policies (tenant_id, name, document) VALUES ($1, $2, $3)', ['ta', 'p', JSON.stringify({ keys: ['k'] })]);
}, 60_000);
afterAll(() => db.close());

const item = (nonce: string, deviceId = 'd1'): Admission => ({ tenantId: 'ta', deviceId, nonce, keyId: 'k', version: 1 });

/** Counts the statements the admissions run, by kind. */
function counting(store: Store) {
  const counts = { single: 0, batch: 0 };
  const q = {
    query: <T>(text: string, params?: unknown[]) => {
      if (text.includes('sc_admit_releases')) counts.batch++;
      else counts.single++;
      return store.query<T>(text, params);
    },
  };
  return { q, counts };
}

test('requests that arrive together are admitted in one statement, each with its own row', async () => {
  const { q, counts } = counting(db);
  const admissions = new ReleaseAdmissions(q);
  const nonces = Array.from({ length: 20 }, (_, i) => `a${i}`);
  const rows = await Promise.all([...nonces.map((n) => admissions.admit<Row>(item(n))), admissions.admit<Row>(item('r1', 'd2'))]);
  // The first goes alone at once; the other twenty arrive while it runs and go together.
  expect(counts).toEqual({ single: 1, batch: 1 });
  for (const row of rows.slice(0, 20)) expect(row).toMatchObject({ fresh: 1, revoked_at: null, key_id: null, policies: [{ keys: ['k'] }] });
  expect(rows[20]!.fresh).toBe(1);
  expect(rows[20]!.revoked_at).not.toBeNull();
});

test('a nonce is fresh once: twice in one batch, and again in a later batch', async () => {
  const admissions = new ReleaseAdmissions(db);
  const rows = await Promise.all(['x0', 'dup', 'dup', 'x1', 'dup'].map((n) => admissions.admit<Row>(item(n))));
  expect(rows.map((r) => r!.fresh)).toEqual([1, 1, 0, 1, 0]);
  expect((await admissions.admit<Row>(item('x1')))!.fresh).toBe(0);
  const again = await Promise.all(['x0', 'x2', 'a3'].map((n) => admissions.admit<Row>(item(n))));
  expect(again.map((r) => r!.fresh)).toEqual([0, 1, 0]);
});

test('an item the database refuses fails alone; its batch is admitted without it', async () => {
  const { q, counts } = counting(db);
  const admissions = new ReleaseAdmissions(q);
  // An unknown device breaks the nonces table's foreign key.
  const settled = await Promise.allSettled(
    ['b0', 'b1', 'b2', 'b3'].map((n, i) => admissions.admit<Row>(item(n, i === 2 ? 'nobody' : 'd1'))),
  );
  expect(settled.map((s) => s.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
  expect(((settled[2] as PromiseRejectedResult).reason as { code?: string }).code).toBe('23503');
  expect(settled.filter((s) => s.status === 'fulfilled').map((s) => (s as PromiseFulfilledResult<Row>).value.fresh)).toEqual([1, 1, 1]);
  // b0 alone, then b1..b3 as a batch that failed, then each of those alone.
  expect(counts).toEqual({ single: 4, batch: 1 });
  const stored = await db.query<{ nonce: string }>("SELECT nonce FROM nonces WHERE nonce LIKE 'b%' ORDER BY nonce");
  expect(stored.map((r) => r.nonce)).toEqual(['b0', 'b1', 'b3']);
});
