/**
 * The data folder is private whatever existed before (docs/broker.md "Running a broker"):
 * made 0755 before `broker init`, it becomes 0700 with every file 0600, PGlite's files and
 * broker.json (which may hold a database password) included; files written while the broker
 * runs too; and an open puts right a folder an older broker or a careless copy left open.
 */
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { chmod, lstat, mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Broker } from '../../../src/broker/index.js';
import { CLI } from '../../entry.js';
import { Client, makeTenant, operatorAdmin } from '../helpers.js';

/** Every path under `root` (itself included) that group or others may use, with its mode. */
export async function openToOthers(root: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (p: string): Promise<void> => {
    const st = await lstat(p);
    if (st.isSymbolicLink()) return;
    if (st.mode & 0o077) out.push(`${p} ${(st.mode & 0o777).toString(8)}`);
    if (st.isDirectory()) for (const n of await readdir(p)) await walk(join(p, n));
  };
  await walk(root);
  return out;
}

async function folderMadeBefore(): Promise<{ dir: string; data: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'sc-modes-'));
  const data = join(dir, 'data');
  await mkdir(data);
  await chmod(data, 0o755);
  return { dir, data };
}

/** `database`: a fresh store for the broker (undefined: PGlite in DATA/db, the default). */
export function dataModesSuite(database: () => Promise<string | undefined>): void {
  describe('data folder modes', () => {
    it('Broker.create in a folder made 0755 before: 0700 and 0600 throughout, while it writes and after; Broker.open puts a loosened folder right', async () => {
      const { dir, data } = await folderMadeBefore();
      try {
        const url = await database();
        const { broker, operatorToken, caFile } = await Broker.create({ dataDir: data, database: url });
        const listening = await broker.listen();
        const client = new Client(listening, await readFile(caFile, 'utf8'));
        try {
          // Writes: rows, a destroy (a new table file, a new WAL segment on PGlite).
          const t = await makeTenant({ client, operatorToken });
          const second = await operatorAdmin({ client, operatorToken }, t.tenantId, 'erin');
          for (let i = 0; i < 5; i++)
            expect((await client.call('POST', '/v1/keys', { token: t.admin, body: { name: `k${i}` } })).status).toBe(201);
          const k = await client.call('POST', '/v1/keys', { token: t.admin, body: { name: 'doomed' } });
          const ask = await client.call('POST', `/v1/keys/${k.body.keyId}/destroy`, { token: t.admin });
          expect((await client.call('POST', `/v1/actions/${ask.body.actionId}/confirm`, { token: second })).status).toBe(200);
          expect(await openToOthers(data)).toEqual([]);
        } finally {
          client.close();
          await broker.close();
        }
        expect(await openToOthers(data)).toEqual([]);
        if (url) expect(JSON.parse(await readFile(join(data, 'broker.json'), 'utf8')).database).toBe(url);

        // As an older broker (or a copy) left it: every group and other bit an open must take off.
        await chmod(data, 0o755);
        await chmod(join(data, 'broker.json'), 0o644);
        await chmod(join(data, 'root.key'), 0o666);
        if (!url) {
          await chmod(join(data, 'db'), 0o777);
          await chmod(join(data, 'db', 'global', 'pg_control'), 0o666);
        }
        const reopened = await Broker.open({ dataDir: data });
        try {
          expect(await openToOthers(data)).toEqual([]);
        } finally {
          await reopened.close();
        }
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    }, 120_000);

    it('`sectorcrypt broker init` in a folder made 0755 before: 0700 and 0600 throughout', async () => {
      const { dir, data } = await folderMadeBefore();
      try {
        const url = await database();
        const args = ['broker', 'init', '--data', data, '--json', ...(url ? ['--database', url] : [])];
        const init = spawnSync(process.execPath, [...CLI, ...args], { encoding: 'utf8', timeout: 170_000 });
        expect(init.status, init.stderr).toBe(0);
        expect(await openToOthers(data)).toEqual([]);
        expect((await lstat(join(data, 'broker.json'))).mode & 0o777).toBe(0o600);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    }, 180_000);
  });
}
