/** Writing a header: the stanzas (kept ones byte for byte, then new ones), then the MAC line. */
import { SectorCryptError } from '../errors.js';
import { MAX_STANZAS } from './format.js';
import { finishHeader, macInputOf } from './header.js';
import { headerMac } from './key-schedule.js';
import { toSealer, type Sealer } from './recipients.js';
import { checkList } from './options.js';
import { toGroupSealer } from './threshold.js';

export function toSealers(recipients: unknown, min = 1): Sealer[] {
  const list = checkList<unknown>(recipients, 'recipients', min);
  if (list.length > MAX_STANZAS) throw new SectorCryptError('ERR_ARGUMENT', `an envelope has at most ${MAX_STANZAS} recipients`);
  return list.map(toSealer);
}

/**
 * The sealers of an encryption: one per recipient, then one for the threshold group (which
 * writes the group's stanza and its n share stanzas). `min`: 1 for a new envelope (something
 * must open it), 0 for a rekey (its kept stanzas may).
 */
export function encryptSealers(opts: { recipients?: unknown; threshold?: unknown }, min = 1): Sealer[] {
  const group = opts.threshold === undefined ? undefined : toGroupSealer(opts.threshold);
  const plain = opts.recipients === undefined && (group || min === 0) ? [] : toSealers(opts.recipients, group ? 0 : min);
  if (plain.length + (group?.stanzas ?? 0) > MAX_STANZAS)
    throw new SectorCryptError(
      'ERR_ARGUMENT',
      `an envelope has at most ${MAX_STANZAS} stanzas (a threshold group takes one more than its members)`,
    );
  return group ? [...plain, group.seal] : plain;
}

export async function sealHeader(fileKey: Uint8Array, sealers: readonly Sealer[], kept: readonly Uint8Array[] = []): Promise<Uint8Array> {
  const fresh = await Promise.all(sealers.map((seal) => seal(fileKey)));
  const macInput = macInputOf([...kept, ...fresh]);
  return finishHeader(macInput, headerMac(fileKey, macInput));
}
