/** Reads a claims config JSON file (`--claims FILE`) and checks it strictly. */
import { readFile } from 'node:fs/promises';
import { SectorCryptError } from '../../errors.js';
import { parseClaimsConfig, type ClaimsConfig } from './config.js';

export async function loadClaimsConfig(file: string): Promise<ClaimsConfig> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === 'ENOENT') throw new SectorCryptError('ERR_NOT_FOUND', `claims config ${file} does not exist`);
    throw new SectorCryptError('ERR_IO', `cannot read claims config ${file}: ${code ?? String(err)}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new SectorCryptError('ERR_ARGUMENT', `claims config ${file} is not JSON: ${(err as Error).message}`);
  }
  return parseClaimsConfig(value);
}
