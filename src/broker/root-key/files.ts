/**
 * The root key's files in the data folder while `broker root-key rotate` runs:
 *
 *   root.key       the key the database's secrets are sealed under (0600)
 *   root.key.new   the next key, written (and synced) before the re-sealing transaction
 *   root.key.old   the replaced key, after the commit; removed unless --keep-old
 *
 * Order: write root.key.new; commit (the database now names the new key); rename root.key
 * to root.key.old; rename root.key.new to root.key. A crash anywhere leaves either root.key
 * matching the database, or root.key.new matching it, which the next open finishes
 * (check.ts): the folder always opens.
 */
import { closeSync, existsSync, fsyncSync, openSync, readFileSync } from 'node:fs';
import { open, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { SectorCryptError } from '../../errors.js';
import { osCode } from '../../fs-errors.js';

export const ROOT_KEY = 'root.key';
export const NEW_ROOT_KEY = 'root.key.new';
export const OLD_ROOT_KEY = 'root.key.old';

/** The key in `dataDir/name`, or undefined when there is no such file (synchronous: 32 bytes, rarely). */
export function readKeyFileSync(dataDir: string, name: string): Uint8Array | undefined {
  let bytes: Buffer;
  try {
    bytes = readFileSync(join(dataDir, name));
  } catch (err) {
    if (osCode(err) === 'ENOENT') return undefined;
    throw err;
  }
  const key = new Uint8Array(bytes);
  bytes.fill(0);
  if (key.length !== 32) throw new SectorCryptError('ERR_KEY_LENGTH', `${join(dataDir, name)} must hold 32 bytes`);
  return key;
}

function syncDir(dataDir: string): void {
  const fd = openSync(dataDir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Writes a new key file, mode 0600 from the first byte, synced with its folder; never overwrites. */
export async function writeKeyFile(dataDir: string, name: string, key: Uint8Array): Promise<void> {
  let file;
  try {
    file = await open(join(dataDir, name), 'wx', 0o600);
  } catch (err) {
    if (osCode(err) === 'EEXIST')
      throw new SectorCryptError(
        'ERR_EXISTS',
        `${join(dataDir, name)} exists: another root key rotation is running, or one stopped before its commit (its key sealed nothing); if none is running, remove the file and run again`,
      );
    throw err;
  }
  try {
    await file.chmod(0o600);
    await file.writeFile(key);
    await file.sync();
  } finally {
    await file.close();
  }
  syncDir(dataDir);
}

/** This rotation's root.key.new, once its transaction is known not to have committed. */
export async function removeNewKey(dataDir: string): Promise<void> {
  await rm(join(dataDir, NEW_ROOT_KEY), { force: true });
  syncDir(dataDir);
}

/**
 * After the commit: root.key.new becomes root.key, the replaced key root.key.old (removed
 * unless `keepOld`). Also finishes a crash between the two renames (root.key missing).
 */
export async function promoteNewKey(dataDir: string, keepOld: boolean): Promise<void> {
  const at = (name: string) => join(dataDir, name);
  if (existsSync(at(ROOT_KEY))) await rename(at(ROOT_KEY), at(OLD_ROOT_KEY));
  await rename(at(NEW_ROOT_KEY), at(ROOT_KEY));
  syncDir(dataDir);
  if (!keepOld) {
    await rm(at(OLD_ROOT_KEY), { force: true });
    syncDir(dataDir);
  }
}

/**
 * Before reading the data folder: a rotation that crashed between its two renames left
 * root.key.new and no root.key. The renames come after the commit, so the new key is the
 * database's.
 */
export async function finishRenames(dataDir: string): Promise<void> {
  if (!existsSync(join(dataDir, ROOT_KEY)) && existsSync(join(dataDir, NEW_ROOT_KEY))) await promoteNewKey(dataDir, true);
}
