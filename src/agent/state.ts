/**
 * The agent's state folder (mode 0700):
 *   device.key   the Ed25519 secret key (32 bytes), 0600
 *   device.json  {deviceId, tenantId, url, groups, publicKey}
 *   ca.pem       the broker's CA, pinned
 */
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
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

export async function writeState(stateDir: string, state: AgentState): Promise<void> {
  await mkdir(stateDir, { recursive: true, mode: 0o700 });
  await chmod(stateDir, 0o700);
  await writeFile(join(stateDir, 'device.key'), state.secretKey, { mode: 0o600, flag: 'wx' });
  await chmod(join(stateDir, 'device.key'), 0o600);
  await writeFile(join(stateDir, 'ca.pem'), state.caPem, { flag: 'wx' });
  await writeFile(join(stateDir, 'device.json'), `${JSON.stringify(state.device, null, 2)}\n`, { flag: 'wx' });
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
