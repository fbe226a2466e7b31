/**
 * PGlite back end: PostgreSQL compiled to WebAssembly, in this process. One connection, so
 * transactions run one at a time (PGlite queues them); nothing else can open the folder.
 */
import { PGlite } from '@electric-sql/pglite';
import type { Row, Sql, Store } from './types.js';

export async function openPglite(dataDir: string | undefined): Promise<Store> {
  const db = await PGlite.create(dataDir ?? 'memory://');
  const run = async <T,>(on: Pick<PGlite, 'query'>, text: string, params?: unknown[]): Promise<T[]> => {
    // Parameterless multi-statement text (migrations) goes through exec.
    if (!params && 'exec' in on) {
      const results = await (on as PGlite).exec(text);
      return (results.at(-1)?.rows ?? []) as T[];
    }
    return (await on.query<T>(text, params as unknown[] | undefined)).rows;
  };
  return {
    kind: 'pglite',
    query: (text, params) => run(db, text, params),
    tx: (fn) =>
      db.transaction(async (tx) => {
        const q: Sql = {
          query: async <T,>(text: string, params?: unknown[]) =>
            params ? (await tx.query<T>(text, params)).rows : ((await tx.exec(text)).at(-1)?.rows ?? []) as T[],
        };
        return fn(q);
      }),
    close: () => db.close(),
  };
}
