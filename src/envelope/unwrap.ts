/**
 * Finding the file key (docs/envelope.md "How it works"): each stanza is offered to the identities that
 * handle its type; the first file key that comes out must pass the header MAC, or the
 * envelope is refused (ERR_AUTH). No stanza opened: ERR_NO_IDENTITY, naming the types present.
 */
import { wipe } from '../bytes.js';
import { SectorCryptError } from '../errors.js';
import type { ParsedHeader } from './header.js';
import type { OpenContext, Opener } from './identities.js';
import { checkHeaderMac } from './key-schedule.js';
import { checkKnownShape } from './stanzas/shapes.js';

export async function unwrapFileKey(header: ParsedHeader, openers: readonly Opener[], context: OpenContext): Promise<Uint8Array> {
  // Every known stanza is well formed, or the header is refused before any KDF runs.
  for (const stanza of header.stanzas) checkKnownShape(stanza);
  for (const stanza of header.stanzas) {
    for (const opener of openers) {
      if (opener.type !== stanza.type) continue;
      const fileKey = await opener.open(stanza, context);
      if (fileKey === undefined) continue;
      try {
        checkHeaderMac(fileKey, header.macInput, header.mac);
      } catch (err) {
        wipe(fileKey);
        throw err;
      }
      return fileKey;
    }
  }
  const types = [...new Set(header.stanzas.map((s) => s.type))];
  const tried = [...new Set(openers.map((o) => o.type))];
  throw new SectorCryptError(
    'ERR_NO_IDENTITY',
    `no identity opens this envelope: its stanzas are ${types.join(', ')}; the identities given open ${tried.join(', ')}`,
  );
}
