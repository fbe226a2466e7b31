/**
 * A running broker and a root key rotated by another broker on the same database: the
 * database refuses what this one seals under the old key (migration 8's trigger, SQLSTATE
 * SCRK0) and the old key no longer opens the re-sealed secrets. Either way the broker re-reads
 * its data folder's key files once and takes the one the database names; the call that met
 * the refusal fails with ERR_ROOT_KEY_MISMATCH (503), and so do later ones until root.key holds
 * the new key: nothing is ever sealed under a replaced key.
 */
import { join } from 'node:path';
import { SectorCryptError } from '../../errors.js';
import type { Store } from '../store/types.js';
import { reloadRootKeyFrom, rootKeyId } from './seal.js';
import { databaseRootKeyId, mismatchMessage } from './check.js';
import { NEW_ROOT_KEY, readKeyFileSync, ROOT_KEY } from './files.js';

const STALE_SEAL = 'SCRK0';

function keyFiles(dataDir: string): Uint8Array[] {
  const keys: Uint8Array[] = [];
  for (const name of [ROOT_KEY, NEW_ROOT_KEY]) {
    try {
      const key = readKeyFileSync(dataDir, name);
      if (key) keys.push(key);
    } catch {
      // a file being written, or of the wrong size: not a candidate
    }
  }
  return keys;
}

/** Takes the key file whose id the database names; whether one did. */
async function adoptFromDisk(store: Store, dataDir: string, rootKey: Uint8Array): Promise<boolean> {
  const current = await databaseRootKeyId(store);
  let adopted = false;
  for (const key of keyFiles(dataDir)) {
    if (!adopted && current && Buffer.compare(rootKeyId(key), current) === 0) {
      rootKey.set(key);
      adopted = true;
    }
    key.fill(0);
  }
  return adopted;
}

export function guardRootKey(store: Store, dataDir: string, rootKey: Uint8Array): Store {
  reloadRootKeyFrom(rootKey, { candidates: () => keyFiles(dataDir), mismatch: mismatchMessage(dataDir) });
  const refused = async (err: unknown): Promise<never> => {
    if ((err as { code?: unknown }).code !== STALE_SEAL) throw err;
    const adopted = await adoptFromDisk(store, dataDir, rootKey).catch(() => false);
    throw new SectorCryptError(
      'ERR_ROOT_KEY_MISMATCH',
      adopted ? `the root key was rotated; this broker now holds the new ${join(dataDir, ROOT_KEY)}: try again` : mismatchMessage(dataDir),
    );
  };
  return {
    kind: store.kind,
    query: <T>(text: string, params?: unknown[]) => store.query<T>(text, params).catch(refused),
    tx: (fn) => store.tx(fn).catch(refused),
    close: () => store.close(),
  };
}
