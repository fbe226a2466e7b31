/**
 * Cobblestone streams: byte-exact output for any input chunking, ordering across batches
 * in flight, nothing emitted after an error, and back-pressure that bounds memory.
 */
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, expect, it } from 'vitest';
import {
  createChunkedDecryptStream,
  createChunkedDecryptWebStream,
  createChunkedEncryptStream,
  createChunkedEncryptWebStream,
  decryptChunked,
  encryptChunked,
} from '../../src/index.js';
import { toHex } from '../bytes.js';
import { Rng } from '../rng.js';
import { refEncrypt } from '../chunked/reference.js';
import { pieces, randomPieces, runNode, runWeb } from './run.js';

const CHUNK = 16384;
const SLOT = CHUNK + 16;
const rng = new Rng();
const note = `seed ${rng.seed}`;
const enc = new TextEncoder();

/** Small inputs go in one byte at a time, larger ones at random cut points. */
const LENGTHS = [0, 1, 100, 16383, 16384, 16385, 3 * CHUNK + 7, 200 * CHUNK + 3];
function chunkings(data: Uint8Array): [string, Iterable<Uint8Array>][] {
  const list: [string, Iterable<Uint8Array>][] = [['one write', [data]]];
  if (data.length <= 16385) list.push(['1 byte at a time', pieces(data, 1)]);
  list.push(['random pieces', randomPieces(data, data.length > 100_000 ? 300_000 : 5000, (n) => rng.int(n))]);
  return list;
}

describe.each([16, 32])('%i-byte key', (keyLength) => {
  it.each(LENGTHS)('encrypt stream of %i bytes: exact spec output, decrypts', async (n) => {
    const key = rng.bytes(keyLength);
    const pt = rng.bytes(n);
    for (const [how, input] of chunkings(pt)) {
      const { output, error } = await runNode(createChunkedEncryptStream(key, { context: 'ctx' }), input);
      expect(error, how).toBeUndefined();
      const expected = refEncrypt(key, output.subarray(0, 24), enc.encode('ctx'), pt);
      expect(output.equals(expected), `${note} ${how} length ${n}`).toBe(true);
    }
  });

  it.each(LENGTHS)('decrypt stream of %i bytes gives back the plaintext', async (n) => {
    const key = rng.bytes(keyLength);
    const pt = rng.bytes(n);
    const ct = encryptChunked(key, pt, { context: 'ctx' });
    for (const [how, input] of chunkings(ct)) {
      const { output, error } = await runNode(createChunkedDecryptStream(key, { context: 'ctx' }), input);
      expect(error, how).toBeUndefined();
      expect(output.equals(Buffer.from(pt)), `${note} ${how} length ${n}`).toBe(true);
    }
  });

  it.each([0, 16384, 70 * CHUNK + 5])('Web streams round trip %i bytes', async (n) => {
    const key = rng.bytes(keyLength);
    const pt = rng.bytes(n);
    const sealed = await runWeb(
      createChunkedEncryptWebStream(key),
      randomPieces(pt, 40_000, (k) => rng.int(k)),
    );
    expect(toHex(decryptChunked(key, sealed.output))).toBe(toHex(pt));
    const opened = await runWeb(
      createChunkedDecryptWebStream(key),
      randomPieces(sealed.output, 40_000, (k) => rng.int(k)),
    );
    expect(opened.error).toBeUndefined();
    expect(toHex(opened.output)).toBe(toHex(pt));
  });
});

describe('batches in flight', () => {
  const key = rng.bytes(16);
  const pt = rng.bytes(300 * CHUNK + 11);
  const ct = encryptChunked(key, pt);

  it('a bad chunk in the second batch: the first batch is emitted, nothing after it', async () => {
    // Batches are 64 chunks; chunk 70 is in the second, and later batches are already in flight.
    const damaged = new Uint8Array(ct);
    damaged[56 + 70 * SLOT + 3] ^= 1;
    for (const input of [[damaged], pieces(damaged, 100_000)]) {
      const outcome = await runNode(createChunkedDecryptStream(key), input);
      expect(outcome.error?.code).toBe('ERR_AUTH');
      expect(outcome.output.length).toBe(64 * CHUNK);
      expect(outcome.output.equals(Buffer.from(pt.subarray(0, 64 * CHUNK)))).toBe(true);
    }
    const web = await runWeb(createChunkedDecryptWebStream(key), [damaged]);
    expect(web.error?.code).toBe('ERR_AUTH');
    expect(web.output.length).toBe(64 * CHUNK);
  });

  it('outputs come in input order whatever the piece sizes', async () => {
    const { output } = await runNode(
      createChunkedDecryptStream(key),
      randomPieces(ct, 3 * 64 * SLOT, (n) => rng.int(n)),
    );
    expect(output.equals(Buffer.from(pt)), note).toBe(true);
  });

  it('the input buffers are left as they were', async () => {
    const copy = new Uint8Array(pt);
    await runNode(createChunkedEncryptStream(key), [pt]);
    expect(Buffer.from(pt).equals(copy)).toBe(true);
  });
});

describe('back-pressure', () => {
  it('a slow reader holds the writer back: memory stays a few batches', async () => {
    const key = rng.bytes(16);
    const piece = rng.bytes(256 * 1024);
    const total = 48 * 1024 * 1024;
    let produced = 0;
    let consumed = 0;
    let maxAhead = 0;
    const stream = createChunkedEncryptStream(key);
    let maxBuffered = 0;
    async function* source() {
      while (produced < total) {
        produced += piece.length;
        maxAhead = Math.max(maxAhead, produced - consumed);
        yield piece;
      }
    }
    const slow = new Writable({
      highWaterMark: 64 * 1024,
      write(chunk: Buffer, _encoding, callback) {
        consumed += chunk.length;
        maxBuffered = Math.max(maxBuffered, stream.readableLength + stream.writableLength);
        setTimeout(callback, 1);
      },
    });
    // highWaterMark 1: the source itself buffers at most one piece, so what runs ahead is the stream's.
    await pipeline(Readable.from(source(), { highWaterMark: 1 }), stream, slow);
    expect(consumed).toBeGreaterThan(total);
    // Batches are 1 MiB and at most 3 are in flight; allow the Readable/Writable buffers on top.
    expect(maxAhead).toBeLessThan(10 * 1024 * 1024);
    expect(maxBuffered).toBeLessThan(8 * 1024 * 1024);
  });
});

describe('header', () => {
  it('the empty message is a header and a bare tag, also from a stream that got no writes', async () => {
    const key = rng.bytes(32);
    const { output } = await runNode(createChunkedEncryptStream(key), []);
    expect(output.length).toBe(56 + 16);
    expect(decryptChunked(key, output).length).toBe(0);
  });

  it('wrong context: ERR_AUTH with nothing emitted, even with many chunks behind the header', async () => {
    const key = rng.bytes(16);
    const ct = encryptChunked(key, rng.bytes(200 * CHUNK), { context: 'a' });
    const outcome = await runNode(createChunkedDecryptStream(key, { context: 'b' }), pieces(ct, 50_000));
    expect(outcome.error?.code).toBe('ERR_AUTH');
    expect(outcome.output.length).toBe(0);
  });
});
