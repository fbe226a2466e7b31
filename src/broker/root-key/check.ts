/**
 * Which root key the database's secrets are sealed under (migration 8's root_key row), and
 * whether this data folder holds it. Runs when a broker opens its store, and before a rotation.
 */
import { join } from 'node:path';
import { SectorCryptError } from '../../errors.js';
import type { Sql } from '../store/types.js';
import { openAtRest, rootKeyId } from './seal.js';
import { NEW_ROOT_KEY, promoteNewKey, readKeyFileSync, ROOT_KEY } from './files.js';
import { insertRootKeyId, rootKeyIdRow, someSealedSecrets } from './repository.js';

const hex = (id: Uint8Array) => Buffer.from(id).toString('hex');

export function mismatchMessage(dataDir: string): string {
  return `${join(dataDir, ROOT_KEY)} is not the root key the database's secrets are sealed under (rotated with \`broker root-key rotate\` on another broker?): copy root.key from the data folder of the broker that rotated it to ${join(dataDir, ROOT_KEY)} (mode 0600)`;
}

/** The id of the database's root key; undefined before a broker first opened it with ids. */
export async function databaseRootKeyId(q: Sql): Promise<Uint8Array | undefined> {
  return rootKeyIdRow(q);
}

/** Whether `rootKey` opens one of the secrets already sealed (true when there are none). */
async function opensASecret(q: Sql, rootKey: Uint8Array): Promise<boolean> {
  for (const r of await someSealedSecrets(q)) {
    try {
      openAtRest(rootKey, r.tenant_id, r.key_id, Number(r.version), new Uint8Array(r.sealed_secret)).fill(0);
    } catch {
      return false;
    }
  }
  return true;
}

/**
 * Makes sure `rootKey` (read from `dataDir/root.key`) is the database's root key, or throws
 * ERR_ROOT_KEY_MISMATCH naming the file to copy. Finishes a rotation that committed but did
 * not rename its files (root.key.new is then the database's key: it is moved into place and
 * `rootKey` is overwritten with it). On a database without an id yet, records this key's,
 * once it opened a secret already there.
 */
export async function settleRootKey(q: Sql, dataDir: string, rootKey: Uint8Array): Promise<void> {
  const mine = rootKeyId(rootKey);
  let current = await databaseRootKeyId(q);
  if (!current) {
    if (!(await opensASecret(q, rootKey))) throw new SectorCryptError('ERR_ROOT_KEY_MISMATCH', mismatchMessage(dataDir));
    await insertRootKeyId(q, mine);
    current = (await databaseRootKeyId(q))!;
  }
  if (hex(current) === hex(mine)) return;
  const next = readKeyFileSync(dataDir, NEW_ROOT_KEY);
  if (next && hex(rootKeyId(next)) === hex(current)) {
    await promoteNewKey(dataDir, true);
    rootKey.set(next);
    next.fill(0);
    return;
  }
  next?.fill(0);
  throw new SectorCryptError('ERR_ROOT_KEY_MISMATCH', mismatchMessage(dataDir));
}
