/** Writing a header: the stanzas (kept ones byte for byte, then new ones), then the MAC line. */
import { SectorCryptError } from '../errors.js';
import { MAX_STANZAS } from './format.js';
import { finishHeader, macInputOf } from './header.js';
import { headerMac } from './key-schedule.js';
import { toSealer, type Sealer } from './recipients.js';
import { checkList } from './options.js';

export function toSealers(recipients: unknown, min = 1): Sealer[] {
  const list = checkList<unknown>(recipients, 'recipients', min);
  if (list.length > MAX_STANZAS) throw new SectorCryptError('ERR_ARGUMENT', `an envelope has at most ${MAX_STANZAS} recipients`);
  return list.map(toSealer);
}

export async function sealHeader(fileKey: Uint8Array, sealers: readonly Sealer[], kept: readonly Uint8Array[] = []): Promise<Uint8Array> {
  const fresh = await Promise.all(sealers.map((seal) => seal(fileKey)));
  const macInput = macInputOf([...kept, ...fresh]);
  return finishHeader(macInput, headerMac(fileKey, macInput));
}
