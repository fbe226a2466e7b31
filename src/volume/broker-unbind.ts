/**
 * Unbinding a LUKS2 volume from a key broker: the chosen sectorcrypt-broker tokens go with
 * their key slots (each slot's area overwritten, as cryptsetup luksKillSlot does). Nothing
 * secret is needed, as with cryptsetup's batch-mode luksKillSlot; removing the last key slot
 * (the last way in) is refused unless `force`.
 */
import { SectorCryptError } from '../errors.js';
import { ImageFile } from './image-file.js';
import { readHeaders } from './luks2-header.js';
import { readMetadata } from './luks2-metadata.js';
import { removeKeyslot } from './luks2-keyslots.js';
import { brokerTokens, thresholdTokens } from './luks2-tokens.js';

export interface UnbindBrokerOptions {
  /** This token number only. */
  token?: number;
  /** The tokens sealed to this broker key. */
  keyId?: string;
  /** Remove even the last key slot: the volume can then never be opened again. */
  force?: boolean;
}

export async function unbindBroker(path: string, opts: UnbindBrokerOptions): Promise<{ tokens: number[]; keyslots: number[] }> {
  const file = await ImageFile.open(path, { writable: true });
  try {
    const { current } = await readHeaders(file);
    const slots = readMetadata(current.meta, current.hdrSize).keyslots.map((k) => k.id);
    // A sectorcrypt-threshold token counts as one, named by its shares' keys.
    const all = [
      ...brokerTokens(current.meta, slots).map((t) => ({ id: t.id, keyslots: t.keyslots, keyIds: [t.keyId], keyId: t.keyId })),
      ...thresholdTokens(current.meta, slots).map((t) => ({
        id: t.id,
        keyslots: t.keyslots,
        keyIds: t.shares.map((sh) => sh.keyId),
        keyId: `${t.k} of ${t.shares.map((sh) => sh.keyId).join(', ')}`,
      })),
    ].sort((a, b) => Number(a.id) - Number(b.id));
    const chosen = all.filter(
      (t) => (opts.token === undefined || t.id === String(opts.token)) && (opts.keyId === undefined || t.keyIds.includes(opts.keyId)),
    );
    if (all.length === 0) throw new SectorCryptError('ERR_NO_IDENTITY', 'the volume has no sectorcrypt-broker token');
    if (chosen.length === 0)
      throw new SectorCryptError(
        'ERR_NOT_FOUND',
        `no sectorcrypt-broker token of the volume matches (it has ${all.map((t) => `token ${t.id}: ${t.keyId}`).join(', ')})`,
      );
    if (opts.token === undefined && opts.keyId === undefined && chosen.length > 1) {
      throw new SectorCryptError(
        'ERR_ARGUMENT',
        `the volume has ${chosen.length} sectorcrypt-broker tokens (${chosen.map((t) => `token ${t.id}: ${t.keyId}`).join(', ')}): name one with --token or --broker-key`,
      );
    }
    const doomed = [...new Set(chosen.flatMap((t) => t.keyslots))];
    const left = slots.filter((s) => !doomed.includes(s));
    if (left.length === 0 && !opts.force) {
      throw new SectorCryptError(
        'ERR_ARGUMENT',
        `key slot ${doomed.join(', ')} is the last way into the volume: unbinding would lose the data (add a passphrase first, or pass --force)`,
      );
    }
    // Removing a slot takes a broker token left without slots along (luks2-tokens.ts unassignSlot).
    for (const slot of doomed) await removeKeyslot(file, current, Number(slot));
    return { tokens: chosen.map((t) => Number(t.id)), keyslots: doomed.map(Number) };
  } finally {
    await file.close();
  }
}
