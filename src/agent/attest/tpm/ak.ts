/**
 * The attestation key: a restricted signing key (ECC P-256 with ECDSA-SHA256 by default, or
 * RSA-2048 with RSASSA-SHA256) made under the EK by tpm2_createak, so it is in the
 * endorsement hierarchy and fixedTPM: its private part never leaves this TPM. It is made
 * persistent (TPM2_EvictControl) at a free owner handle, and the agent's state folder keeps
 * tpm.json (0600): the handle, the AK's TPM2B_PUBLIC and Name, and the EK's algorithm.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SectorCryptError } from '../../../errors.js';
import { createEk, type EkAlg } from './ek.js';
import type { TempDir, TpmTools } from './tools.js';

export const AK_STATE_FILE = 'tpm.json';

/** Persistent handles the agent may take (TCG "Registry of Reserved TPM 2.0 Handles": owner range). */
const FIRST_HANDLE = 0x81000100;
const LAST_HANDLE = 0x810001ff;

export interface AkRecord {
  tcti: string;
  ekAlg: EkAlg;
  /** "0x81000100" */
  handle: string;
  /** base64 of the AK's TPM2B_PUBLIC. */
  public: string;
  /** hex of the AK's Name (nameAlg || H(TPMT_PUBLIC)). */
  name: string;
}

async function persistentHandles(tools: TpmTools): Promise<Set<number>> {
  const out = (await tools.run(['tpm2_getcap', 'handles-persistent'])).toString('utf8');
  return new Set([...out.matchAll(/0x([0-9a-f]{8})/gi)].map((m) => parseInt(m[1]!, 16)));
}

async function freeHandle(tools: TpmTools): Promise<string> {
  const taken = await persistentHandles(tools);
  for (let h = FIRST_HANDLE; h <= LAST_HANDLE; h++) if (!taken.has(h)) return `0x${h.toString(16)}`;
  throw new SectorCryptError('ERR_TPM', 'no free persistent handle in 0x81000100-0x810001ff');
}

export async function createAk(tools: TpmTools, dir: TempDir, ekAlg: EkAlg, akAlg: 'ecc' | 'rsa' = 'ecc'): Promise<AkRecord> {
  await createEk(tools, dir, ekAlg);
  const scheme = akAlg === 'ecc' ? 'ecdsa' : 'rsassa';
  await tools.run([
    'tpm2_createak',
    '-C',
    dir.file('ek.ctx'),
    '-c',
    dir.file('ak.ctx'),
    '-G',
    akAlg,
    '-g',
    'sha256',
    '-s',
    scheme,
    '-u',
    dir.file('ak.pub'),
    '-n',
    dir.file('ak.name'),
    '-f',
    'tss',
  ]);
  await tools.flush();
  const handle = await freeHandle(tools);
  await tools.run(['tpm2_evictcontrol', '-C', 'o', '-c', dir.file('ak.ctx'), handle]);
  await tools.flush();
  const pub = await dir.read('ak.pub');
  const name = await dir.read('ak.name');
  return { tcti: tools.tcti, ekAlg, handle, public: Buffer.from(pub).toString('base64'), name: Buffer.from(name).toString('hex') };
}

/** Checks that the persistent handle still holds the AK recorded (not another key put there). */
export async function checkAk(tools: TpmTools, dir: TempDir, ak: AkRecord): Promise<void> {
  await tools.run(['tpm2_readpublic', '-c', ak.handle, '-n', dir.file('handle.name')]);
  const name = Buffer.from(await dir.read('handle.name')).toString('hex');
  if (name !== ak.name)
    throw new SectorCryptError('ERR_TPM', `the persistent handle ${ak.handle} no longer holds this agent's attestation key`);
}

/** Remove the AK from the TPM (a failed enrollment, a device removed). */
export async function evictAk(tools: TpmTools, ak: AkRecord): Promise<void> {
  await tools.run(['tpm2_evictcontrol', '-C', 'o', '-c', ak.handle]);
}

export async function saveAkRecord(stateDir: string, ak: AkRecord): Promise<void> {
  await writeFile(join(stateDir, AK_STATE_FILE), JSON.stringify(ak, null, 2) + '\n', { mode: 0o600 });
}

export async function loadAkRecord(stateDir: string): Promise<AkRecord> {
  const text = await readFile(join(stateDir, AK_STATE_FILE), 'utf8').catch((cause: NodeJS.ErrnoException) => {
    throw new SectorCryptError(
      cause.code === 'ENOENT' ? 'ERR_NOT_FOUND' : 'ERR_IO',
      `${stateDir} holds no TPM attestation key (${AK_STATE_FILE}: ${cause.code})`,
      { cause },
    );
  });
  let v: Partial<AkRecord>;
  try {
    v = (JSON.parse(text) ?? {}) as Partial<AkRecord>;
  } catch {
    v = {};
  }
  if (
    typeof v.handle !== 'string' ||
    !/^0x81[0-9a-f]{6}$/i.test(v.handle) ||
    typeof v.public !== 'string' ||
    typeof v.name !== 'string' ||
    (v.ekAlg !== 'rsa' && v.ekAlg !== 'ecc') ||
    typeof v.tcti !== 'string'
  ) {
    throw new SectorCryptError('ERR_CORRUPT_HEADER', `${AK_STATE_FILE} in ${stateDir} is not an attestation key record`);
  }
  return v as AkRecord;
}
