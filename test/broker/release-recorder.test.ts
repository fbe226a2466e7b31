/**
 * Batched release records (src/broker/release/recorder.ts) on the real schema in an in-memory
 * PGlite: a batch in which the database refuses one item (here a claim holding U+0000, which
 * jsonb cannot store, as if it had got past the input check) commits every other item, each
 * with its record, and fails that one alone.
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import { openStore } from '../../src/broker/store/open.js';
import type { Store } from '../../src/broker/store/types.js';
import { readAudit } from '../../src/broker/audit/log.js';
import { ReleaseRecorder, type ReleaseRow } from '../../src/broker/release/recorder.js';

let db: Store;
beforeAll(async () => {
  db = await openStore('pglite:memory');
  for (const t of ['ta', 'tb']) {
    await db.query('INSERT INTO tenants (id, tenant_id, name) VALUES ($1, $1, $1)', [t]);
    await db.query("INSERT INTO devices (tenant_id, id, name, public_key, groups, description) VALUES ($1, $2, $2, $3, '{}', '{}')", [
      t,
      `d-${t}`,
      new Uint8Array(32).fill(t === 'ta' ? 1 : 2),
    ]);
  }
}, 60_000);
afterAll(() => db.close());

function row(tenant: string, id: string, claims: Record<string, unknown>): ReleaseRow {
  const now = new Date();
  return {
    tenant_id: tenant,
    id,
    device_id: `d-${tenant}`,
    key_id: 'k',
    version: 1,
    kind: 'luks2',
    resource: 'luks2:x',
    sealed_enc: new Uint8Array(32),
    sealed_ciphertext: new Uint8Array(48),
    reply_public_key: new Uint8Array(32),
    claims,
    status: 'denied',
    policy: null,
    approvers_needed: 0,
    trace: [],
    created_at: now,
    expires_at: null,
    decided_at: now,
  };
}

test('one item the database refuses fails alone; the rest of its batch commits', async () => {
  const recorder = new ReleaseRecorder(db);
  const items = Array.from({ length: 12 }, (_, i) => {
    const tenant = i % 2 ? 'tb' : 'ta';
    const bad = i === 5 || i === 8;
    return { tenant, id: `req_${i}`, bad, claims: bad ? { identity: { x: '\u0000' } } : { identity: { x: `ok-${i}` } } };
  });
  // The first goes alone at once; the other eleven arrive meanwhile and share one batch.
  const settled = await Promise.allSettled(
    items.map((it) =>
      recorder.record(it.tenant, row(it.tenant, it.id, it.claims), {
        actor: `d-${it.tenant}`,
        action: 'key.deny',
        target: 'k/1',
        outcome: 'denied',
        requestId: it.id,
      }),
    ),
  );
  expect(settled.map((s) => s.status)).toEqual(items.map((it) => (it.bad ? 'rejected' : 'fulfilled')));
  const stored = await db.query<{ id: string }>('SELECT id FROM release_requests ORDER BY id');
  expect(stored.map((r) => r.id).sort()).toEqual(
    items
      .filter((it) => !it.bad)
      .map((it) => it.id)
      .sort(),
  );
  for (const tenant of ['ta', 'tb']) {
    const log = await readAudit(db, tenant, undefined, 100);
    expect(log.map((r) => r.seq)).toEqual(log.map((_, i) => i));
    expect(log.map((r) => JSON.parse(r.json).requestId).sort()).toEqual(
      items
        .filter((it) => it.tenant === tenant && !it.bad)
        .map((it) => it.id)
        .sort(),
    );
  }
});
