/** Drives Node Transforms and Web TransformStreams in tests: chunks in, bytes and error out. */
import { Readable, type Transform } from 'node:stream';

export interface Outcome {
  /** Everything emitted, in order. */
  output: Buffer;
  /** Sizes of the emitted pieces. */
  pieces: number[];
  error?: Error & { code?: string };
  /** Output bytes emitted before the error event. */
  beforeError?: number;
}

/** Feeds `chunks` to `transform` (honouring back-pressure) and collects what comes out. */
export function runNode(transform: Transform, chunks: Iterable<Uint8Array>): Promise<Outcome> {
  return new Promise((resolve) => {
    const pieces: Buffer[] = [];
    let error: Outcome['error'];
    let beforeError: number | undefined;
    transform.on('data', (piece: Buffer) => {
      if (error) throw new Error('data after error');
      pieces.push(piece);
    });
    const done = () => resolve({ output: Buffer.concat(pieces), pieces: pieces.map((p) => p.length), error, beforeError });
    transform.on('error', (err) => {
      error = err;
      beforeError = Buffer.concat(pieces).length;
    });
    transform.on('close', () => setImmediate(done));
    const source = Readable.from(chunks, { objectMode: true });
    source.on('data', (chunk: Uint8Array) => {
      if (!transform.write(chunk)) {
        source.pause();
        transform.once('drain', () => source.resume());
      }
    });
    source.on('end', () => transform.end());
  });
}

export async function runWeb(stream: TransformStream<Uint8Array, Uint8Array>, chunks: Iterable<Uint8Array>): Promise<Outcome> {
  const pieces: Uint8Array[] = [];
  let error: Outcome['error'];
  const writing = (async () => {
    const writer = stream.writable.getWriter();
    for (const chunk of chunks) await writer.write(chunk);
    await writer.close();
  })().catch(() => {});
  try {
    for await (const piece of stream.readable as unknown as AsyncIterable<Uint8Array>) pieces.push(piece);
  } catch (err) {
    error = err as Outcome['error'];
  }
  await writing;
  const output = Buffer.concat(pieces);
  return { output, pieces: pieces.map((p) => p.length), error, beforeError: error ? output.length : undefined };
}

/** `data` cut into pieces of `size` bytes (the last may be shorter). */
export function* pieces(data: Uint8Array, size: number): Generator<Uint8Array> {
  for (let i = 0; i < data.length; i += size) yield data.subarray(i, i + size);
}

/** `data` cut at random points (sizes 1 .. max). */
export function* randomPieces(data: Uint8Array, max: number, int: (n: number) => number): Generator<Uint8Array> {
  for (let i = 0; i < data.length;) {
    const n = 1 + int(max);
    yield data.subarray(i, i + n);
    i += n;
  }
}
