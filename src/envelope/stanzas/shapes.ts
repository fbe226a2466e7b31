/**
 * The shape of every stanza type this decoder knows (argument count and sizes, body size),
 * checked for all stanzas before any key derivation (docs/envelope.md "How it works": anything else is
 * ERR_CORRUPT_HEADER before any KDF), whichever identities were given. Unknown types pass.
 */
import type { Stanza } from '../header.js';
import { FILE_KEY_BYTES } from '../format.js';
import { AES256_KW } from './aes256-kw.js';
import { ARGON2ID } from './argon2id.js';
import { BROKER, brokerSealedSecret } from './broker.js';
import { HPKE_STANZAS } from './hpke-stanza.js';
import { badStanza, bytesArg, expectArgs, expectBody } from './stanza.js';

const DECIMAL = /^(0|[1-9][0-9]{0,15})$/;
const KEY_ID = /^[A-Za-z0-9._:/-]{1,64}$/;

const SHAPES: Record<string, (s: Stanza) => void> = {
  [HPKE_STANZAS.x25519.type]: (s) => {
    expectArgs(s, 1);
    bytesArg(s, 0, HPKE_STANZAS.x25519.encBytes);
    expectBody(s, FILE_KEY_BYTES + 16);
  },
  [HPKE_STANZAS.xwing.type]: (s) => {
    expectArgs(s, 1);
    bytesArg(s, 0, HPKE_STANZAS.xwing.encBytes);
    expectBody(s, FILE_KEY_BYTES + 16);
  },
  [ARGON2ID]: (s) => {
    expectArgs(s, 4);
    bytesArg(s, 0, 16);
    if (!s.args.slice(1).every((a) => DECIMAL.test(a))) throw badStanza(s, 'costs are decimal integers without leading zeros');
    expectBody(s, FILE_KEY_BYTES + 16);
  },
  [AES256_KW]: (s) => {
    expectArgs(s, 1);
    if (!KEY_ID.test(s.args[0])) throw badStanza(s, 'bad key id');
    expectBody(s, FILE_KEY_BYTES + 8);
  },
  [BROKER]: (s) => {
    brokerSealedSecret(s);
  },
};

export function checkKnownShape(stanza: Stanza): void {
  SHAPES[stanza.type]?.(stanza);
}
