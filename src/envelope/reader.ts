/**
 * openEnvelopeReader: random access to an envelope's plaintext, in a file or in memory. The
 * header is read and its MAC checked first; then the Cobblestone reader (chunked/reader.ts)
 * takes over at the payload, opening only the chunks a read needs.
 */
import { wipe } from '../bytes.js';
import { openHeader } from '../chunked/header.js';
import { HEADER } from '../chunked/params.js';
import { openReader, type ChunkedReader } from '../chunked/reader.js';
import { payloadKey } from './key-schedule.js';
import { DECRYPT_KEYS, openFileKey, type EnvelopeDecryptOptions } from './oneshot.js';
import { checkObject } from './options.js';
import { payloadOptions } from './payload.js';
import { readHeaderOf } from './source-header.js';

export async function openEnvelopeReader(source: string | Uint8Array, options: EnvelopeDecryptOptions): Promise<ChunkedReader> {
  const opts = checkObject(options, 'options', DECRYPT_KEYS) as unknown as EnvelopeDecryptOptions;
  const { header, payloadStart } = await readHeaderOf(source);
  const fileKey = await openFileKey(header, opts, payloadStart);
  const key = payloadKey(fileKey);
  wipe(fileKey);
  const offset = header.bytes.length;
  try {
    return await openReader(source, offset + HEADER, (head) => openHeader(key, head.subarray(offset), payloadOptions(opts.backend)));
  } finally {
    wipe(key);
  }
}
