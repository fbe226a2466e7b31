/**
 * PostgreSQL back end through `pg`: a pool, so several requests run at once, and several
 * broker processes may share the database. Transactions that lose a serialization race or a
 * deadlock are retried (SQLSTATE 40001, 40P01).
 */
import pg from 'pg';
import type { Row, Sql, Store } from './types.js';

const RETRYABLE = new Set(['40001', '40P01']);
const MAX_ATTEMPTS = 5;

// bytea comes back as Buffer; jsonb as parsed JSON; bigint (int8) as a number: our
// counters stay far below 2^53.
pg.types.setTypeParser(20, (v: string) => Number(v));

export async function openPostgres(url: string, poolSize = 10): Promise<Store> {
  const pool = new pg.Pool({ connectionString: url, max: poolSize });
  // An idle client losing its connection must not crash the broker.
  pool.on('error', () => {});
  const first = await pool.connect();
  first.release();
  const wrap = (c: pg.Pool | pg.PoolClient): Sql => ({
    query: async <T>(text: string, params?: unknown[]) => (await c.query(text, params as unknown[] | undefined)).rows as T[],
  });
  return {
    kind: 'postgres',
    query: (text, params) => wrap(pool).query(text, params),
    async tx(fn) {
      for (let attempt = 1; ; attempt++) {
        const client = await pool.connect();
        let broken = false;
        try {
          await client.query('BEGIN');
          const result = await fn(wrap(client));
          await client.query('COMMIT');
          return result;
        } catch (err) {
          try {
            await client.query('ROLLBACK');
          } catch {
            broken = true;
          }
          const code = (err as { code?: string }).code;
          if (code && RETRYABLE.has(code) && attempt < MAX_ATTEMPTS) continue;
          throw err;
        } finally {
          client.release(broken);
        }
      }
    },
    close: () => pool.end(),
  };
}
