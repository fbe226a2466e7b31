/**
 * Finding the file key (docs/envelope.md "How it works"): each stanza is offered to the identities that
 * handle its type; the first file key that comes out must pass the header MAC, or the
 * envelope is refused (ERR_AUTH). Then each threshold group ("Threshold groups"): its members
 * asked at once, the key rebuilt from k shares and checked by the same MAC. Nothing opened:
 * ERR_NO_IDENTITY, naming the types present; a group short of k shares: ERR_THRESHOLD.
 */
import { wipe } from '../bytes.js';
import { SectorCryptError } from '../errors.js';
import type { ParsedHeader } from './header.js';
import type { OpenContext, Opener } from './identities.js';
import { checkHeaderMac } from './key-schedule.js';
import { checkKnownShape } from './stanzas/shapes.js';
import { SHARE, THRESHOLD, thresholdGroups } from './stanzas/threshold.js';
import { memberOpeners, openGroup, thresholdError } from './threshold.js';

function macChecked(fileKey: Uint8Array, header: ParsedHeader, what?: string): Uint8Array {
  try {
    checkHeaderMac(fileKey, header.macInput, header.mac);
  } catch (err) {
    wipe(fileKey);
    if (what === undefined) throw err;
    throw new SectorCryptError(
      'ERR_AUTH',
      `the shares of ${what} do not give the key the header MAC was made with: a share was changed or belongs to another envelope`,
    );
  }
  return fileKey;
}

export async function unwrapFileKey(header: ParsedHeader, openers: readonly Opener[], context: OpenContext): Promise<Uint8Array> {
  // Every known stanza is well formed, or the header is refused before any KDF runs.
  for (const stanza of header.stanzas) checkKnownShape(stanza);
  const groups = thresholdGroups(header.stanzas);
  for (const g of groups) for (const m of g.members) checkKnownShape(m.inner);
  for (const stanza of header.stanzas) {
    for (const opener of openers) {
      if (opener.type !== stanza.type) continue;
      const fileKey = await opener.open(stanza, context);
      if (fileKey === undefined) continue;
      return macChecked(fileKey, header);
    }
  }
  let shortOf: SectorCryptError | undefined;
  for (const group of groups) {
    // A group none of whose members any identity could open is not asked at all.
    if (!group.members.some((m) => memberOpeners(m, openers).length > 0)) continue;
    const outcome = await openGroup(group, openers, context);
    if ('fileKey' in outcome) {
      // Members still waiting for an approval are not needed: their requests are withdrawn.
      await Promise.all(openers.map((o) => o.stopWaiting?.().catch(() => undefined)));
      return macChecked(outcome.fileKey, header, `threshold group ${group.groupId}`);
    }
    shortOf ??= thresholdError(group, outcome.failures, outcome.obtained);
  }
  if (shortOf) throw shortOf;
  const types = [
    ...new Set(header.stanzas.flatMap((s) => (s.type === THRESHOLD ? [] : s.type === SHARE ? [`${SHARE} (${s.args[3]})`] : [s.type]))),
  ];
  const tried = [...new Set(openers.map((o) => o.type))];
  throw new SectorCryptError(
    'ERR_NO_IDENTITY',
    `no identity opens this envelope: its stanzas are ${types.join(', ')}; the identities given open ${tried.join(', ')}`,
  );
}
