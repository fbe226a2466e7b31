/**
 * The agent's state folder (mode 0700):
 *   device.key   the Ed25519 secret key (32 bytes), 0600
 *   device.json  {deviceId, tenantId, url, groups, publicKey}
 *   ca.pem       the broker's CA, pinned
 *   pending.json the release requests still waiting for approval, with their reply keys, 0600
 */
import { chmod, mkdir, readFile, rm, rmdir, stat, writeFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { SectorCryptError } from '../errors.js';

export interface DeviceRecord {
  deviceId: string;
  tenantId: string;
  url: string;
  groups: string[];
  /** base64 of the 32-byte Ed25519 public key. */
  publicKey: string;
}

export interface AgentState {
  device: DeviceRecord;
  secretKey: Uint8Array;
  caPem: string;
}

const STATE_FILES = ['device.key', 'device.json', 'ca.pem'];

/**
 * Before an enrollment token is spent: the folder must not hold an agent already, and must
 * take a new file. Returns whether this call made the folder (so a failed enroll removes it).
 */
export async function prepareStateDir(stateDir: string): Promise<{ created: boolean }> {
  let created = false;
  const exists = await stat(stateDir).then(
    (st) => st.isDirectory() || 'file',
    () => false,
  );
  if (exists === 'file') throw new SectorCryptError('ERR_EXISTS', `${stateDir} is a file, not a folder: nothing was enrolled`);
  if (exists) {
    for (const name of STATE_FILES) {
      if (
        await stat(join(stateDir, name)).then(
          () => true,
          () => false,
        )
      ) {
        throw new SectorCryptError(
          'ERR_EXISTS',
          `${stateDir} already holds an enrolled agent (${name}): choose another folder; the enrollment token was not used`,
        );
      }
    }
  } else {
    try {
      await mkdir(stateDir, { recursive: true, mode: 0o700 });
      created = true;
    } catch (cause) {
      throw new SectorCryptError(
        'ERR_IO',
        `cannot make the state folder ${stateDir} (${(cause as NodeJS.ErrnoException).code}): the enrollment token was not used`,
        { cause },
      );
    }
  }
  const probe = join(stateDir, `.write-check-${randomBytes(6).toString('hex')}`);
  try {
    await writeFile(probe, '', { mode: 0o600, flag: 'wx' });
    await rm(probe, { force: true });
  } catch (cause) {
    if (created) await removeEmptyStateDir(stateDir);
    throw new SectorCryptError(
      'ERR_IO',
      `cannot write in the state folder ${stateDir} (${(cause as NodeJS.ErrnoException).code}): the enrollment token was not used`,
      { cause },
    );
  }
  return { created };
}

/** Removes the folder prepareStateDir made, if it is still empty (never another agent's files). */
export async function removeEmptyStateDir(stateDir: string): Promise<void> {
  await rmdir(stateDir).catch(() => undefined);
}

/**
 * Writes the three files, each created new (wx): a folder another enrollment filled meanwhile
 * is never overwritten. When one fails, the files this call wrote are removed again.
 */
export async function writeState(stateDir: string, state: AgentState): Promise<void> {
  const written: string[] = [];
  const create = async (name: string, data: string | Uint8Array, mode?: number) => {
    await writeFile(join(stateDir, name), data, { flag: 'wx', ...(mode ? { mode } : {}) });
    written.push(name);
  };
  try {
    await mkdir(stateDir, { recursive: true, mode: 0o700 });
    await chmod(stateDir, 0o700);
    await create('device.key', state.secretKey, 0o600);
    await chmod(join(stateDir, 'device.key'), 0o600);
    await create('ca.pem', state.caPem);
    await create('device.json', `${JSON.stringify(state.device, null, 2)}\n`);
  } catch (err) {
    await Promise.all(written.map((name) => rm(join(stateDir, name), { force: true })));
    throw err;
  }
}

export async function readState(stateDir: string): Promise<AgentState> {
  const read = async (name: string) => {
    try {
      return await readFile(join(stateDir, name));
    } catch (cause) {
      throw new SectorCryptError('ERR_NOT_FOUND', `${join(stateDir, name)} is missing: enroll the agent first`, { cause });
    }
  };
  const secretKey = new Uint8Array(await read('device.key'));
  if (secretKey.length !== 32) throw new SectorCryptError('ERR_KEY_LENGTH', 'device.key must hold 32 bytes');
  return {
    secretKey,
    caPem: (await read('ca.pem')).toString('utf8'),
    device: JSON.parse((await read('device.json')).toString('utf8')) as DeviceRecord,
  };
}
