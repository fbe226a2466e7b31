/** Builds envelopes by hand, with a chosen file key and stanzas, for the failure tests. */
import { encryptChunked } from '../../src/chunked/oneshot.js';
import { encodeStanza, finishHeader, macInputOf } from '../../src/envelope/header.js';
import { headerMac, payloadKey } from '../../src/envelope/key-schedule.js';
import { payloadOptions } from '../../src/envelope/payload.js';

export const ascii = (text: string) => new TextEncoder().encode(text);
export const text = (bytes: Uint8Array) => Buffer.from(bytes).toString('latin1');

export function header(fileKey: Uint8Array, stanzas: Uint8Array[]): Uint8Array {
  const macInput = macInputOf(stanzas);
  return finishHeader(macInput, headerMac(fileKey, macInput));
}

export function craft(fileKey: Uint8Array, stanzas: Uint8Array[], plaintext = new Uint8Array(100)): Uint8Array {
  return new Uint8Array(Buffer.concat([header(fileKey, stanzas), encryptChunked(payloadKey(fileKey), plaintext, payloadOptions())]));
}

export { encodeStanza };
