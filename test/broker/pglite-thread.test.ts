/**
 * The embedded store's worker thread (src/broker/store/pglite.ts, pglite-thread.ts): what a
 * caller sees is what PGlite in its own thread gave. A transaction commits when its function
 * returns and rolls back when it throws; PostgreSQL's error fields cross the thread; a folder
 * that cannot be opened is refused; an idle thread does not keep the process alive.
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openPglite } from '../../src/broker/store/pglite.js';
import type { Store } from '../../src/broker/store/types.js';
import { CHILD_IMPORT, sourceFile } from '../entry.js';

let db: Store;
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sc-pglite-thread-'));
  db = await openPglite(undefined);
  await db.query('CREATE TABLE t (id integer PRIMARY KEY, b bytea, at timestamptz, j jsonb)');
}, 60_000);
afterAll(async () => {
  await db.close();
  await rm(dir, { recursive: true, force: true });
});

test('rows cross the thread with their types: bytea, timestamptz, jsonb', async () => {
  const at = new Date('2026-11-30T12:00:00.123Z');
  await db.query('INSERT INTO t VALUES ($1, $2, $3, $4)', [1, new Uint8Array([1, 2, 255]), at, JSON.stringify({ a: [1, 'x'] })]);
  const [row] = await db.query<{ id: number; b: Uint8Array; at: Date; j: unknown }>('SELECT * FROM t WHERE id = 1');
  expect(row!.b).toBeInstanceOf(Uint8Array);
  expect([...row!.b]).toEqual([1, 2, 255]);
  expect(row!.at.getTime()).toBe(at.getTime());
  expect(row!.j).toEqual({ a: [1, 'x'] });
});

test('a transaction commits when its function returns and rolls back when it throws', async () => {
  expect(await db.tx(async (q) => (await q.query('INSERT INTO t (id) VALUES (2), (3) RETURNING id')).length)).toBe(2);
  const failed = await db
    .tx(async (q) => {
      await q.query('INSERT INTO t (id) VALUES (4)');
      throw new Error('changed my mind');
    })
    .catch((e: Error) => e.message);
  expect(failed).toBe('changed my mind');
  // A statement that fails inside: the error keeps PostgreSQL's fields, nothing of the transaction stays.
  const duplicate = await db
    .tx(async (q) => {
      await q.query('INSERT INTO t (id) VALUES (5)');
      await q.query('INSERT INTO t (id) VALUES (2)');
    })
    .catch((e: { code?: string; constraint?: string }) => e);
  expect(duplicate).toMatchObject({ code: '23505', constraint: 't_pkey' });
  expect((await db.query<{ id: number }>('SELECT id FROM t ORDER BY id')).map((r) => r.id)).toEqual([1, 2, 3]);
});

test('statements outside a transaction wait for it to end; transactions run one at a time', async () => {
  const order: string[] = [];
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const tx = db.tx(async (q) => {
    await q.query('INSERT INTO t (id) VALUES (10)');
    order.push('tx wrote');
    await gate;
    order.push('tx ends');
  });
  await new Promise((r) => setTimeout(r, 50));
  const read = db.query<{ n: number }>('SELECT count(*)::integer AS n FROM t WHERE id = 10').then((rows) => {
    order.push('read');
    return rows[0]!.n;
  });
  await new Promise((r) => setTimeout(r, 50));
  release();
  await tx;
  expect(await read).toBe(1);
  expect(order).toEqual(['tx wrote', 'tx ends', 'read']);
});

test('a folder that cannot be opened is refused', async () => {
  const file = join(dir, 'not-a-folder');
  await writeFile(file, 'x');
  const e = await openPglite(file).catch((err: { code?: string; message: string }) => err);
  expect(e).toMatchObject({ code: 'ERR_IO' });
  expect((e as Error).message).toContain(`cannot open the embedded database in ${file}: file system error (errno`);
}, 60_000);

test('an open store whose thread is idle does not keep the process alive', () => {
  const code = `const { openPglite } = await import(${JSON.stringify(sourceFile('broker/store/pglite'))});
    const db = await openPglite(undefined);
    console.log((await db.query('SELECT 41 + 1 AS n'))[0].n);`;
  const child = spawnSync(process.execPath, [...CHILD_IMPORT, '--input-type=module', '-e', code], { encoding: 'utf8', timeout: 60_000 });
  expect(child.stderr).toBe('');
  expect(child.stdout.trim()).toBe('42');
  expect(child.status).toBe(0);
}, 90_000);
