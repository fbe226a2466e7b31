/** What every stanza type module shares: the fields it writes, and how it reports a bad stanza. */
import { SectorCryptError } from '../../errors.js';
import { decodeBase64 } from '../base64.js';
import type { Stanza } from '../header.js';

export interface StanzaFields {
  type: string;
  args: string[];
  body: Uint8Array;
}

/** A stanza of a known type that breaks its own rules: the header is damaged. */
export function badStanza(stanza: Stanza, why: string): SectorCryptError {
  return new SectorCryptError('ERR_CORRUPT_HEADER', `malformed ${stanza.type} stanza: ${why}`);
}

export function expectArgs(stanza: Stanza, count: number): void {
  if (stanza.args.length !== count) throw badStanza(stanza, `expected ${count} argument(s), found ${stanza.args.length}`);
}

export function expectBody(stanza: Stanza, length: number): void {
  if (stanza.body.length !== length) throw badStanza(stanza, `body must be ${length} bytes`);
}

export function bytesArg(stanza: Stanza, index: number, length: number): Uint8Array {
  const bytes = decodeBase64(stanza.args[index], `${stanza.type} stanza argument`);
  if (bytes.length !== length) throw badStanza(stanza, `argument ${index} must be ${length} bytes`);
  return bytes;
}

/** undefined when `err` is an authentication failure (the stanza is not for this identity). */
export function notMine(err: unknown): undefined {
  if (err instanceof SectorCryptError && err.code === 'ERR_AUTH') return undefined;
  throw err;
}

export const utf8 = new TextEncoder();
