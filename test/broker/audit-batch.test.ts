/**
 * Batched audit appends (src/broker/audit/log.ts appendAuditBatch, src/broker/audit/tree.ts extendTree) on
 * the real schema in an in-memory PGlite: batches of every size and at every offset give the
 * RFC 9162 root of the records' leaf hashes, gapless seqs, and one statement's worth of
 * extra rows committed with them; a missing frontier node is refused, not papered over.
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import { openStore } from '../../src/broker/store/open.js';
import { migrate } from '../../src/broker/store/migrate.js';
import type { Store } from '../../src/broker/store/types.js';
import { appendAudit, appendAuditBatch, byteaJson, readAudit } from '../../src/broker/audit/log.js';
import { treeRoot } from '../../src/broker/audit/tree.js';
import { rootHash } from '../../src/audit/index.js';

let db: Store;
beforeAll(async () => {
  db = await openStore('pglite:memory');
  await migrate(db);
  for (const t of ['ta', 'tb']) await db.query('INSERT INTO tenants (id, tenant_id, name) VALUES ($1, $1, $1)', [t]);
}, 60_000);
afterAll(() => db.close());

const rec = (i: number) => ({ actor: 'broker', action: 'test.append', target: `t${i}`, outcome: 'success' as const, reasons: { i } });

test('every batch size at every offset builds the root of all leaves so far', async () => {
  const sizes = [1, 3, 1, 4, 2, 8, 5, 1, 16, 7, 1, 1, 9];
  let n = 0;
  for (const size of sizes) {
    const seqs = await db.tx((q) =>
      appendAuditBatch(
        q,
        'ta',
        Array.from({ length: size }, (_, i) => rec(n + i)),
      ),
    );
    expect(seqs).toEqual(Array.from({ length: size }, (_, i) => n + i));
    n += size;
    const rows = await readAudit(db, 'ta', undefined, 1000);
    expect(rows.map((r) => r.seq)).toEqual(rows.map((_, i) => i));
    for (const size2 of [n, Math.max(1, n - 3)]) {
      expect(Buffer.from(await treeRoot(db, 'ta', size2)).toString('hex')).toBe(
        Buffer.from(rootHash(rows.slice(0, size2).map((r) => r.leafHash))).toString('hex'),
      );
    }
  }
  // Single appends afterwards continue the same tree.
  await db.tx((q) => appendAudit(q, 'ta', rec(n)));
  const rows = await readAudit(db, 'ta', undefined, 1000);
  expect(Buffer.from(await treeRoot(db, 'ta', n + 1)).equals(Buffer.from(rootHash(rows.map((r) => r.leafHash))))).toBe(true);
});

test('release requests given with the records commit with them, bytes and JSON intact, and not at all when the append fails', async () => {
  await db.query(
    "INSERT INTO devices (tenant_id, id, name, public_key, groups, description) VALUES ('tb', 'dev1', 'd', '\\x01', '{}', '{}')",
  );
  const row = (id: string) => ({
    tenant_id: 'tb',
    id,
    device_id: 'dev1',
    key_id: 'k',
    version: 1,
    kind: 'luks2',
    resource: 'luks2:x',
    sealed_enc: byteaJson(new Uint8Array([0, 1, 255])),
    sealed_ciphertext: byteaJson(new Uint8Array(0)),
    reply_public_key: byteaJson(new Uint8Array(32).fill(7)),
    claims: { identity: { region: 'eu' } },
    status: 'released',
    policy: null,
    approvers_needed: 0,
    trace: [],
    created_at: new Date(0),
    expires_at: null,
    decided_at: new Date(0),
  });
  await db.tx((q) => appendAuditBatch(q, 'tb', [rec(0), rec(1)], [row('r1'), row('r2')]));
  const got = await db.query<{ id: string; sealed_enc: Uint8Array; reply_public_key: Uint8Array; claims: unknown; policy: string | null }>(
    'SELECT * FROM release_requests ORDER BY id',
  );
  expect(got.map((r) => r.id)).toEqual(['r1', 'r2']);
  expect([...new Uint8Array(got[0]!.sealed_enc)]).toEqual([0, 1, 255]);
  expect(new Uint8Array(got[0]!.reply_public_key)).toEqual(new Uint8Array(32).fill(7));
  expect(got[0]!.claims).toEqual({ identity: { region: 'eu' } });
  expect(got[0]!.policy).toBeNull();
  await expect(db.tx((q) => appendAuditBatch(q, 'nope', [rec(0)], [row('r3')]))).rejects.toThrow(/ERR_NOT_FOUND/);
  await expect(db.tx((q) => appendAuditBatch(q, 'tb', [rec(2)], [row('r1')]))).rejects.toThrow(); // a duplicate id: the whole statement fails
  expect(await db.query('SELECT id FROM release_requests')).toHaveLength(2);
  expect((await readAudit(db, 'tb', undefined, 100)).map((r) => r.seq)).toEqual([0, 1]);
});

test('a frontier node gone missing is ERR_AUDIT_TAMPERED, and nothing is appended', async () => {
  // Tenant tb holds 2 leaves: its frontier is the single node 1/0. Remove it.
  await db.query('DELETE FROM audit_nodes WHERE tenant_id = $1 AND level = 1 AND idx = 0', ['tb']);
  await db.tx((q) => appendAuditBatch(q, 'tb', [rec(2)])); // leaf 2 completes no parent: no carry, accepted
  await expect(db.tx((q) => appendAuditBatch(q, 'tb', [rec(3)]))).rejects.toThrow(/ERR_AUDIT_TAMPERED/);
  expect((await readAudit(db, 'tb', undefined, 100)).map((r) => r.seq)).toEqual([0, 1, 2]);
});
