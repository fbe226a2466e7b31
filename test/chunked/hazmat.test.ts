/** sectorcrypt/hazmat raw mode: no header, caller's key and base nonce; same chunk rules. */
import { describe, expect, it } from 'vitest';
import {
  createChunkedRawDecryptStream,
  createChunkedRawDecryptWebStream,
  createChunkedRawEncryptStream,
  createChunkedRawEncryptWebStream,
  decryptChunkedRaw,
  encryptChunkedRaw,
  openChunkedRawReader,
} from '../../src/hazmat.js';
import { encryptChunked } from '../../src/index.js';
import { expectCode, expectRejectCode, toHex } from '../bytes.js';
import { Rng } from '../rng.js';
import { randomPieces, runNode, runWeb } from '../stream/run.js';
import { refDerive, refSealRaw } from './reference.js';

const CHUNK = 16384;
const rng = new Rng();
const note = `seed ${rng.seed}`;

describe.each([16, 32])('%i-byte key', (keyLength) => {
  it.each([0, 1, 16384, 5 * CHUNK + 99])('%i bytes: equals the reference, round trips in every form', async (n) => {
    const key = rng.bytes(keyLength);
    const nonce = rng.bytes(12);
    const pt = rng.bytes(n);
    const sealed = encryptChunkedRaw(key, nonce, pt);
    expect(toHex(sealed), note).toBe(toHex(refSealRaw(key, nonce, pt)));
    expect(toHex(decryptChunkedRaw(key, nonce, sealed))).toBe(toHex(pt));
    const streamed = await runNode(
      createChunkedRawEncryptStream(key, nonce),
      randomPieces(pt, 9000, (k) => rng.int(k)),
    );
    expect(toHex(streamed.output)).toBe(toHex(sealed));
    const opened = await runNode(
      createChunkedRawDecryptStream(key, nonce),
      randomPieces(sealed, 9000, (k) => rng.int(k)),
    );
    expect(toHex(opened.output)).toBe(toHex(pt));
    const web = await runWeb(createChunkedRawEncryptWebStream(key, nonce), [pt]);
    expect(toHex(web.output)).toBe(toHex(sealed));
    const webOpened = await runWeb(createChunkedRawDecryptWebStream(key, nonce), [sealed]);
    expect(toHex(webOpened.output)).toBe(toHex(pt));
    const reader = await openChunkedRawReader(key, nonce, sealed);
    expect(reader.size).toBe(n);
    expect(toHex(await reader.read(3, 20000))).toBe(toHex(pt.subarray(3, 20003)));
    await reader.close();
  });
});

describe('raw mode', () => {
  it('is the body of a normal message under the derived key and base nonce', () => {
    const inputKey = rng.bytes(16);
    const pt = rng.bytes(40_000);
    const ct = encryptChunked(inputKey, pt, { context: 'x' });
    const { key, baseNonce } = refDerive(inputKey, ct.subarray(0, 24), new TextEncoder().encode('x'));
    expect(toHex(decryptChunkedRaw(key, baseNonce, ct.subarray(56)))).toBe(toHex(pt));
  });

  it('keeps the length rules: truncation, trailing data, bad tags', async () => {
    const key = rng.bytes(16);
    const nonce = rng.bytes(12);
    const sealed = encryptChunkedRaw(key, nonce, rng.bytes(2 * CHUNK + 10));
    expectCode(() => decryptChunkedRaw(key, nonce, sealed.subarray(0, 2 * (CHUNK + 16))), 'ERR_TRUNCATED');
    expectCode(() => decryptChunkedRaw(key, nonce, new Uint8Array(0)), 'ERR_TRUNCATED');
    expectCode(() => decryptChunkedRaw(key, nonce, new Uint8Array(Buffer.concat([sealed, Buffer.alloc(3)]))), 'ERR_TRAILING_DATA');
    expectCode(() => decryptChunkedRaw(key, rng.bytes(12), sealed), 'ERR_AUTH');
    await expectRejectCode(() => openChunkedRawReader(key, nonce, sealed.subarray(0, sealed.length - 5)), 'ERR_AUTH');
    await expectRejectCode(() => openChunkedRawReader(key, nonce, sealed.subarray(0, sealed.length - 20)), 'ERR_TRUNCATED');
  });

  it('checks key and nonce lengths', () => {
    expectCode(() => encryptChunkedRaw(rng.bytes(24), rng.bytes(12), new Uint8Array(1)), 'ERR_KEY_LENGTH');
    expectCode(() => encryptChunkedRaw(rng.bytes(16), rng.bytes(16), new Uint8Array(1)), 'ERR_NONCE_LENGTH');
    expectCode(() => createChunkedRawDecryptStream(rng.bytes(16), rng.bytes(8)), 'ERR_NONCE_LENGTH');
  });
});
