/**
 * Every failure of the list, in one-shot, Node stream, Web stream and
 * random-access form. Streams may emit whole chunks that authenticated before the bad
 * one, never anything after an error, and never bytes that are not the plaintext.
 */
import { describe, expect, it } from 'vitest';
import {
  createChunkedDecryptStream,
  createChunkedDecryptWebStream,
  decryptChunked,
  encryptChunked,
  openChunkedReader,
} from '../../src/index.js';
import { expectCode, expectRejectCode } from '../bytes.js';
import { Rng } from '../rng.js';
import { randomPieces, runNode, runWeb } from '../stream/run.js';

const CHUNK = 16384;
const SLOT = CHUNK + 16;
const rng = new Rng();
const note = `seed ${rng.seed}`;
const KEY = rng.bytes(16);
const CONTEXT = 'backup/host-1';
/** Three full chunks and a 100-byte final chunk. */
const PT = rng.bytes(3 * CHUNK + 100);
const CT = encryptChunked(KEY, PT, { context: CONTEXT });
/** Two full chunks and an empty final chunk (a bare tag). */
const PT_EVEN = rng.bytes(2 * CHUNK);
const CT_EVEN = encryptChunked(KEY, PT_EVEN, { context: CONTEXT });

const cat = (...parts: Uint8Array[]) => new Uint8Array(Buffer.concat(parts));
function flip(ct: Uint8Array, at: number): Uint8Array {
  const copy = new Uint8Array(ct);
  copy[at] ^= 0x01;
  return copy;
}
const slot = (ct: Uint8Array, i: number) => ct.subarray(56 + i * SLOT, 56 + (i + 1) * SLOT);

interface Case {
  name: string;
  ct: Uint8Array;
  pt?: Uint8Array;
  key?: Uint8Array;
  context?: string;
  code: string;
  /** The reader's answer when it differs: fails at open (default) or only on read. */
  reader?: { code?: string; read?: [number, number] };
}

const CASES: Case[] = [
  { name: 'wrong key', ct: CT, key: rng.bytes(16), code: 'ERR_AUTH' },
  { name: 'wrong context', ct: CT, context: 'backup/host-2', code: 'ERR_AUTH' },
  { name: 'no context where one was used', ct: CT, context: '', code: 'ERR_AUTH' },
  { name: 'damaged salt', ct: flip(CT, 3), code: 'ERR_AUTH' },
  { name: 'damaged commitment', ct: flip(CT, 40), code: 'ERR_AUTH' },
  { name: 'empty input', ct: new Uint8Array(0), code: 'ERR_TRUNCATED' },
  { name: 'cut inside the header', ct: CT.subarray(0, 55), code: 'ERR_TRUNCATED' },
  { name: 'header only', ct: CT.subarray(0, 56), code: 'ERR_TRUNCATED' },
  { name: 'ends after a full chunk (final chunk missing)', ct: CT.subarray(0, 56 + 3 * SLOT), code: 'ERR_TRUNCATED' },
  { name: 'cut inside the tag of an empty final chunk', ct: CT_EVEN.subarray(0, CT_EVEN.length - 9), pt: PT_EVEN, code: 'ERR_TRUNCATED' },
  { name: 'cut inside the final chunk (16+ bytes left)', ct: CT.subarray(0, CT.length - 1), code: 'ERR_AUTH' },
  { name: 'damaged middle chunk', ct: flip(CT, 56 + SLOT + 5), code: 'ERR_AUTH', reader: { read: [CHUNK + 10, 10] } },
  { name: 'damaged tag of a full chunk', ct: flip(CT, 56 + 2 * SLOT - 1), code: 'ERR_AUTH', reader: { read: [CHUNK, 1] } },
  { name: 'damaged final chunk', ct: flip(CT, CT.length - 20), code: 'ERR_AUTH' },
  {
    name: 'chunks 0 and 1 swapped',
    ct: cat(CT.subarray(0, 56), slot(CT, 1), slot(CT, 0), CT.subarray(56 + 2 * SLOT)),
    code: 'ERR_AUTH',
    reader: { read: [0, 1] },
  },
  {
    name: 'chunk 0 duplicated over chunk 1',
    ct: cat(CT.subarray(0, 56), slot(CT, 0), slot(CT, 0), CT.subarray(56 + 2 * SLOT)),
    code: 'ERR_AUTH',
    reader: { read: [CHUNK, 1] },
  },
  { name: 'chunk 1 dropped', ct: cat(CT.subarray(0, 56 + SLOT), CT.subarray(56 + 2 * SLOT)), code: 'ERR_AUTH' },
  {
    name: 'final chunk of another message',
    ct: cat(CT.subarray(0, 56 + 3 * SLOT), encryptChunked(KEY, PT, { context: CONTEXT }).subarray(56 + 3 * SLOT)),
    code: 'ERR_AUTH',
  },
  { name: 'one byte after the final chunk', ct: cat(CT, new Uint8Array([0])), code: 'ERR_TRAILING_DATA' },
  { name: '15 bytes after an empty final chunk', ct: cat(CT_EVEN, new Uint8Array(15)), pt: PT_EVEN, code: 'ERR_TRAILING_DATA' },
  { name: 'a slot of zeros after the final chunk', ct: cat(CT, new Uint8Array(SLOT)), code: 'ERR_TRAILING_DATA' },
  { name: 'trailing bytes filling the slot exactly', ct: cat(CT, new Uint8Array(SLOT - 116)), code: 'ERR_TRAILING_DATA' },
  {
    name: 'a second message appended',
    ct: cat(CT, encryptChunked(KEY, rng.bytes(2 * CHUNK + 5), { context: CONTEXT })),
    code: 'ERR_TRAILING_DATA',
    // The reader looks at the last two slots only; this message ends three slots earlier.
    reader: { code: 'ERR_AUTH' },
  },
];

function options(c: Case) {
  return { context: c.context ?? CONTEXT };
}

/** Streams: the error, no output after it, and output that is whole authenticated chunks. */
function checkStreamed(c: Case, outcome: Awaited<ReturnType<typeof runNode>>) {
  expect(outcome.error?.code, `${c.name}; ${note}`).toBe(c.code);
  const pt = c.pt ?? PT;
  expect(outcome.output.length % CHUNK).toBe(0);
  expect(outcome.output.equals(Buffer.from(pt.subarray(0, outcome.output.length)))).toBe(true);
  if (
    c.code === 'ERR_AUTH' &&
    (c.key || c.context !== undefined || c.name.startsWith('damaged salt') || c.name.startsWith('damaged commitment'))
  ) {
    expect(outcome.output.length).toBe(0);
  }
}

describe.each(CASES)('$name', (c) => {
  const key = c.key ?? KEY;

  it('one-shot decryptChunked', () => {
    expectCode(() => decryptChunked(key, c.ct, options(c)), c.code, key);
  });

  it('Node stream, whole input in one write', async () => {
    checkStreamed(c, await runNode(createChunkedDecryptStream(key, options(c)), [c.ct]));
  });

  it('Node stream, input in random small pieces', async () => {
    checkStreamed(
      c,
      await runNode(
        createChunkedDecryptStream(key, options(c)),
        randomPieces(c.ct, 3000, (n) => rng.int(n)),
      ),
    );
  });

  it('Web stream', async () => {
    checkStreamed(
      c,
      await runWeb(
        createChunkedDecryptWebStream(key, options(c)),
        randomPieces(c.ct, 20000, (n) => rng.int(n)),
      ),
    );
  });

  it('random-access reader', async () => {
    const code = c.reader?.code ?? c.code;
    if (!c.reader?.read) {
      await expectRejectCode(() => openChunkedReader(key, c.ct, options(c)), code);
      return;
    }
    const reader = await openChunkedReader(key, c.ct, options(c));
    try {
      await expectRejectCode(() => reader.read(...c.reader!.read!), code);
      // Chunks that are intact still read.
      expect(Buffer.from(await reader.read(reader.size - 50, 50)).equals(Buffer.from(PT.subarray(PT.length - 50)))).toBe(true);
    } finally {
      await reader.close();
    }
  });
});

describe('key length', () => {
  it.each([0, 15, 24, 33])('a %i-byte key is ERR_KEY_LENGTH in every form', async (n) => {
    const key = new Uint8Array(n);
    expectCode(() => encryptChunked(key, PT), 'ERR_KEY_LENGTH');
    expectCode(() => decryptChunked(key, CT), 'ERR_KEY_LENGTH');
    expectCode(() => createChunkedDecryptStream(key), 'ERR_KEY_LENGTH');
    expectCode(() => createChunkedDecryptWebStream(key), 'ERR_KEY_LENGTH');
    await expectRejectCode(() => openChunkedReader(key, CT), 'ERR_KEY_LENGTH');
  });
});

describe('a failed stream stays failed', () => {
  it('writes after the error fail too, and nothing more is emitted', async () => {
    const stream = createChunkedDecryptStream(KEY, { context: 'other' });
    const outcome = await runNode(stream, [CT]);
    expect(outcome.error?.code).toBe('ERR_AUTH');
    const again = await new Promise<Error | null | undefined>((resolve) => stream.write(CT, resolve));
    expect(again).toBeInstanceOf(Error);
  });

  it('a Web stream rejects every later write with the same error', async () => {
    const stream = createChunkedDecryptWebStream(KEY, { context: 'other' });
    const writer = stream.writable.getWriter();
    const reading = stream.readable
      .getReader()
      .read()
      .catch((err: unknown) => err);
    await writer.write(CT).catch(() => {});
    const first = await reading;
    expect((first as { code?: string }).code).toBe('ERR_AUTH');
    await expect(writer.write(CT)).rejects.toBe(first);
  });
});
