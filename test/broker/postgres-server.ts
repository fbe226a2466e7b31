/**
 * A throwaway PostgreSQL server for the tests: initdb and pg_ctl in a temp folder, on a free
 * port of 127.0.0.1, trust authentication, fsync off. PostgreSQL refuses to run as root, so
 * as root the server runs as the `postgres` user (Debian's package makes it).
 *
 * `startPostgres()` resolves to null with a reason when the binaries or a usable user are
 * missing, so that the tests can skip and say why.
 */
import { execFile } from 'node:child_process';
import { chown, mkdtemp, readdir, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface PostgresServer {
  /** The server's data folder (PGDATA). */
  readonly dataDir: string;
  /** postgres://... of a fresh database on this server. */
  createDatabase(name: string): Promise<string>;
  stop(): Promise<void>;
}

async function findBin(): Promise<string | null> {
  if (process.env.SECTORCRYPT_PG_BIN) return process.env.SECTORCRYPT_PG_BIN;
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return null;
  const versions = (await readdir(root)).filter((v) => /^\d+$/.test(v) && Number(v) >= 15).sort((a, b) => Number(b) - Number(a));
  for (const v of versions) if (existsSync(join(root, v, 'bin', 'pg_ctl'))) return join(root, v, 'bin');
  return null;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

async function postgresUser(): Promise<{ uid: number; gid: number } | null> {
  try {
    const { stdout } = await run('id', ['-u', 'postgres']);
    const { stdout: g } = await run('id', ['-g', 'postgres']);
    return { uid: Number(stdout.trim()), gid: Number(g.trim()) };
  } catch {
    return null;
  }
}

/**
 * `durable`: PostgreSQL's defaults (fsync, synchronous commit, full page writes), as a
 * production server runs; for benchmarks. The tests run without, for speed.
 */
export async function startPostgres(
  opts: { durable?: boolean } = {},
): Promise<{ server: PostgresServer } | { server: null; reason: string }> {
  const bin = await findBin();
  if (!bin) return { server: null, reason: 'no PostgreSQL 15+ binaries in /usr/lib/postgresql (apt-get install postgresql)' };
  const asRoot = userInfo().uid === 0;
  const user = asRoot ? await postgresUser() : { uid: userInfo().uid, gid: userInfo().gid };
  if (!user) return { server: null, reason: 'running as root and there is no postgres user to run the server as' };
  const dir = await mkdtemp(join(tmpdir(), 'sc-pg-'));
  await chown(dir, user.uid, user.gid);
  const data = join(dir, 'data');
  const runAs = asRoot ? { uid: user.uid, gid: user.gid, cwd: dir } : { cwd: dir };
  // wal_recycle off: WAL segments a checkpoint no longer needs are deleted, as docs/broker.md
  // asks of a server whose destroyed keys must leave pg_wal (test/broker/suites/key-erase.ts).
  const relaxed = opts.durable ? '' : ' -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c wal_recycle=off';
  const port = await freePort();
  await run(join(bin, 'initdb'), ['-D', data, '-A', 'trust', '-U', 'broker', '--no-sync', '-E', 'UTF8'], runAs);
  await run(
    join(bin, 'pg_ctl'),
    [
      '-D',
      data,
      '-l',
      join(dir, 'log'),
      '-w',
      '-t',
      '60',
      '-o',
      `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1${relaxed} -c max_connections=100`,
      'start',
    ],
    runAs,
  );
  const base = `postgres://broker@127.0.0.1:${port}`;
  return {
    server: {
      dataDir: data,
      async createDatabase(name: string) {
        const pg = (await import('pg')).default;
        const c = new pg.Client({ connectionString: `${base}/postgres` });
        await c.connect();
        try {
          await c.query(`CREATE DATABASE "${name.replace(/"/g, '')}"`);
        } finally {
          await c.end();
        }
        return `${base}/${name}`;
      },
      async stop() {
        await run(join(bin, 'pg_ctl'), ['-D', data, '-m', 'immediate', '-w', 'stop'], runAs).catch(() => {});
        await rm(dir, { recursive: true, force: true });
      },
    },
  };
}
