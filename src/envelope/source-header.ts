/** Reading an envelope's header from a file or bytes (chunked/source.ts), no further than it goes. */
import { openSource, type Source } from '../chunked/source.js';
import { MAX_HEADER_BYTES, PAYLOAD_SALT_BYTES } from './format.js';
import { HeaderScanner, type ParsedHeader } from './header.js';

const STEP = 64 * 1024;

export interface SourceHeader {
  header: ParsedHeader;
  /** The payload's first bytes (its salt), or fewer when it is shorter. */
  payloadStart: Uint8Array;
  payloadBytes: number;
}

export async function readSourceHeader(src: Source): Promise<SourceHeader> {
  const scanner = new HeaderScanner();
  let position = 0;
  // The scanner refuses anything past 1 MiB, so this reads at most that much.
  while (!scanner.complete && position < src.size && position <= MAX_HEADER_BYTES) {
    const piece = await src.read(position, Math.min(STEP, src.size - position));
    scanner.push(piece);
    position += piece.length;
  }
  const header = scanner.result();
  const start = header.bytes.length;
  const payloadStart = new Uint8Array(await src.read(start, Math.min(PAYLOAD_SALT_BYTES, src.size - start)));
  return { header, payloadStart, payloadBytes: src.size - start };
}

/** Opens `source`, reads its header, and closes it again. */
export async function readHeaderOf(source: unknown): Promise<SourceHeader> {
  const src = await openSource(source);
  try {
    return await readSourceHeader(src);
  } finally {
    await src.close();
  }
}
