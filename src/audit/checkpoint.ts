/**
 * C2SP tlog-checkpoint (c2sp.org/tlog-checkpoint): a signed note whose text is
 *
 *   <origin>\n<tree size, decimal, no leading zeros>\n<base64 RFC 9162 root hash>\n
 *
 * signed with the tenant's Ed25519 log key (see signed-note.ts). Extension lines are
 * neither written nor accepted: this log does not use them, and a verifier that skipped
 * them would vouch for text it did not check.
 */
import { SectorCryptError } from '../errors.js';
import { fromBase64, toBase64 } from './base64.js';
import { HASH_SIZE } from './hash.js';
import { openNote, signNote, type NoteSigner, type NoteVerifier } from './signed-note.js';

export interface Checkpoint {
  origin: string;
  size: number;
  rootHash: Uint8Array;
}

export function checkpointText({ origin, size, rootHash }: Checkpoint): string {
  if (origin.length === 0 || /[\n\p{Cc}]/u.test(origin)) {
    throw new SectorCryptError('ERR_ARGUMENT', 'a checkpoint origin is one non-empty line');
  }
  if (!Number.isSafeInteger(size) || size < 0) throw new SectorCryptError('ERR_ARGUMENT', `tree size ${size} is not an integer >= 0`);
  if (rootHash.length !== HASH_SIZE) throw new SectorCryptError('ERR_ARGUMENT', `a root hash is ${HASH_SIZE} bytes`);
  return `${origin}\n${size}\n${toBase64(rootHash)}\n`;
}

export function parseCheckpointText(text: string): Checkpoint {
  const lines = text.split('\n');
  if (lines.length !== 4 || lines[3] !== '') {
    throw new SectorCryptError('ERR_ARGUMENT', 'a checkpoint holds exactly three lines: origin, tree size, root hash');
  }
  const [origin, sizeText, rootText] = lines as [string, string, string];
  if (origin.length === 0) throw new SectorCryptError('ERR_ARGUMENT', 'a checkpoint origin is non-empty');
  if (!/^(0|[1-9][0-9]*)$/.test(sizeText) || !Number.isSafeInteger(Number(sizeText))) {
    throw new SectorCryptError('ERR_ARGUMENT', 'a checkpoint tree size is a decimal integer without leading zeros');
  }
  const rootHash = fromBase64(rootText, 'checkpoint root hash');
  if (rootHash.length !== HASH_SIZE) throw new SectorCryptError('ERR_ARGUMENT', `a checkpoint root hash is ${HASH_SIZE} bytes`);
  return { origin, size: Number(sizeText), rootHash };
}

/** The signed checkpoint note. `key.name` should be the origin (tlog-checkpoint "Signatures"). */
export function signCheckpoint(checkpoint: Checkpoint, key: NoteSigner): string {
  return signNote(checkpointText(checkpoint), key);
}

/**
 * The checkpoint in `note` once its signature by `vkey` verifies: ERR_AUDIT_TAMPERED for a
 * bad or missing signature, ERR_ARGUMENT for a malformed note.
 */
export function openCheckpoint(note: string, vkey: string | NoteVerifier): Checkpoint {
  return parseCheckpointText(openNote(note, vkey));
}
