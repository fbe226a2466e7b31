/**
 * The broker's data folder, as `broker init` makes it:
 *   root.key    32 random bytes, 0600: seals broker keys at rest
 *   ca.pem      the CA agents pin;  ca.key (0600) its key
 *   server.pem  the HTTPS certificate; server.key (0600)
 *   broker.json {"database": "..."}: the store `serve` opens unless told otherwise
 *   db/         the PGlite database, when that is the store
 * The folder is 0700 and every file in it 0600 (file-modes.ts), made so by init and made so
 * again by every open, whatever existed before.
 */
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { SectorCryptError } from '../../errors.js';
import { makePki } from './tls.js';
import { tightenModes } from './file-modes.js';

export interface DataFiles {
  rootKey: Uint8Array;
  tls: { key: string; cert: string };
  caPem: string;
  database: string;
}

export const defaultDatabase = (dataDir: string) => `pglite:${join(dataDir, 'db')}`;

async function writeSecret(path: string, data: string | Uint8Array): Promise<void> {
  // 'wx': never overwrite an existing key; mode 0600 from the first byte.
  await writeFile(path, data, { mode: 0o600, flag: 'wx' });
  await chmod(path, 0o600);
}

export async function createDataDir(dataDir: string, names: string[], database: string): Promise<void> {
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  await tightenModes(dataDir); // a folder made before init keeps its mode otherwise
  try {
    await readFile(join(dataDir, 'root.key'));
    throw new SectorCryptError('ERR_EXISTS', `${dataDir} already holds a broker (root.key exists)`);
  } catch (err) {
    if (err instanceof SectorCryptError) throw err;
  }
  const rootKey = randomBytes(32);
  try {
    await writeSecret(join(dataDir, 'root.key'), rootKey);
  } finally {
    rootKey.fill(0);
  }
  const pki = await makePki(names);
  await writeSecret(join(dataDir, 'ca.key'), pki.caKeyPem);
  await writeSecret(join(dataDir, 'server.key'), pki.serverKeyPem);
  await writeSecret(join(dataDir, 'ca.pem'), pki.caPem);
  await writeSecret(join(dataDir, 'server.pem'), pki.serverPem);
  // It may hold a database password.
  await writeSecret(join(dataDir, 'broker.json'), `${JSON.stringify({ database }, null, 2)}\n`);
}

export async function readDataDir(dataDir: string, database?: string): Promise<DataFiles> {
  await tightenModes(dataDir).catch((cause: NodeJS.ErrnoException) => {
    if (cause.code !== 'ENOENT')
      throw new SectorCryptError('ERR_IO', `cannot make ${dataDir} private to this user: ${cause.code ?? cause.message}`, { cause });
  });
  const read = async (name: string) => {
    try {
      return await readFile(join(dataDir, name));
    } catch (cause) {
      throw new SectorCryptError('ERR_NOT_FOUND', `${join(dataDir, name)} is missing: run broker init`, { cause });
    }
  };
  const file = await read('root.key');
  const rootKey = new Uint8Array(file); // a copy the broker wipes when it closes
  file.fill(0);
  if (rootKey.length !== 32) {
    rootKey.fill(0);
    throw new SectorCryptError('ERR_KEY_LENGTH', 'root.key must hold 32 bytes');
  }
  const config = JSON.parse((await read('broker.json')).toString('utf8')) as { database?: string };
  return {
    rootKey,
    tls: { key: (await read('server.key')).toString('utf8'), cert: (await read('server.pem')).toString('utf8') },
    caPem: (await read('ca.pem')).toString('utf8'),
    database: database ?? config.database ?? defaultDatabase(dataDir),
  };
}
