/** Opens the store a `--database` URL names and brings its schema up to date. */
import { SectorCryptError } from '../../errors.js';
import type { Store } from './types.js';
import { migrate } from './migrate.js';

/**
 * `pglite:DIR` (a folder), `pglite:memory` (tests) or `postgres://...` / `postgresql://...`.
 * The back ends are loaded on demand, so a PGlite broker never loads `pg` and back.
 */
export async function openStore(url: string): Promise<Store> {
  let store: Store;
  if (url.startsWith('postgres://') || url.startsWith('postgresql://')) {
    const { openPostgres } = await import('./postgres.js');
    store = await openPostgres(url);
  } else if (url.startsWith('pglite:')) {
    const dir = url.slice('pglite:'.length);
    const { openPglite } = await import('./pglite.js');
    store = await openPglite(dir === 'memory' ? undefined : dir);
  } else {
    throw new SectorCryptError('ERR_ARGUMENT', 'database must be pglite:DIR or postgres://...');
  }
  try {
    await migrate(store);
  } catch (err) {
    await store.close();
    throw err;
  }
  return store;
}
