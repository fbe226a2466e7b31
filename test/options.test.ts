/**
 * Unknown keys in an options object are ERR_ARGUMENT naming the key, at every public entry
 * point: a typo must never fall back silently to a default.
 */
import { describe, expect, it } from 'vitest';
import {
  AesGcm,
  XtsCipher,
  createChunkedDecryptStream,
  createChunkedDecryptWebStream,
  createChunkedEncryptStream,
  createChunkedEncryptWebStream,
  createSectorDecryptStream,
  createSectorEncryptStream,
  createSectorEncryptWebStream,
  decryptChunked,
  encryptChunked,
  openChunkedReader,
} from '../src/index.js';
import { createChunkedRawEncryptStream, decryptChunkedRaw, encryptChunkedRaw, openChunkedRawReader } from '../src/hazmat.js';
import { createEnvelopeDecryptStream } from '../src/envelope/streams.js';
import { expectCode, expectRejectCode } from './bytes.js';
import { Rng } from './rng.js';

const rng = new Rng();
const xtsKey = rng.bytes(64);
const gcmKey = rng.bytes(32);
const chunkKey = rng.bytes(16);
const nonce = rng.bytes(12);
const typo = <T>(o: T) => o as unknown as never;

describe('unknown option keys', () => {
  it('XtsCipher { sectorsize: 512 } is refused (it used to encrypt 4096-byte sectors)', () => {
    const err = expectCode(() => new XtsCipher(xtsKey, typo({ sectorsize: 512 })), 'ERR_ARGUMENT', xtsKey);
    expect(err.message).toContain('"sectorsize"');
    expectCode(() => new XtsCipher(xtsKey, typo({ sectorSize: 512, ivsectorsize: 512 })), 'ERR_ARGUMENT', xtsKey);
  });

  it('AesGcm', () => {
    const err = expectCode(() => new AesGcm(gcmKey, typo({ backnd: 'portable' })), 'ERR_ARGUMENT', gcmKey);
    expect(err.message).toContain('"backnd"');
  });

  it("encryptChunked { contxt: 'x' } is refused (it used to encrypt without a context)", () => {
    const err = expectCode(() => encryptChunked(chunkKey, new Uint8Array(10), typo({ contxt: 'x' })), 'ERR_ARGUMENT', chunkKey);
    expect(err.message).toContain('"contxt"');
    const sealed = encryptChunked(chunkKey, new Uint8Array(10));
    expectCode(() => decryptChunked(chunkKey, sealed, typo({ contxt: 'x' })), 'ERR_ARGUMENT', chunkKey);
  });

  it('chunked streams (Node and Web) and the reader', async () => {
    for (const make of [
      createChunkedEncryptStream,
      createChunkedDecryptStream,
      createChunkedEncryptWebStream,
      createChunkedDecryptWebStream,
    ]) {
      expectCode(() => make(chunkKey, typo({ contex: 'x' })), 'ERR_ARGUMENT', chunkKey);
    }
    await expectRejectCode(
      () => openChunkedReader(chunkKey, encryptChunked(chunkKey, new Uint8Array(1)), typo({ contex: 'x' })),
      'ERR_ARGUMENT',
    );
  });

  it('sector streams: their own firstSector and the cipher options pass, anything else is refused', () => {
    expect(() => createSectorEncryptStream(xtsKey, { firstSector: 3, sectorSize: 512, ivSectorSize: 512 }).destroy()).not.toThrow();
    expectCode(() => createSectorEncryptStream(xtsKey, typo({ firstsector: 3 })), 'ERR_ARGUMENT', xtsKey);
    expectCode(() => createSectorDecryptStream(xtsKey, typo({ sectorsize: 512 })), 'ERR_ARGUMENT', xtsKey);
    expectCode(() => createSectorEncryptWebStream(xtsKey, typo({ sectorsize: 512 })), 'ERR_ARGUMENT', xtsKey);
  });

  it('raw (hazmat) mode takes only backend, not context', async () => {
    expectCode(() => encryptChunkedRaw(chunkKey, nonce, new Uint8Array(1), typo({ context: 'x' })), 'ERR_ARGUMENT', chunkKey);
    expectCode(() => decryptChunkedRaw(chunkKey, nonce, new Uint8Array(16), typo({ context: 'x' })), 'ERR_ARGUMENT', chunkKey);
    expectCode(() => createChunkedRawEncryptStream(chunkKey, nonce, typo({ backnd: 'x' })), 'ERR_ARGUMENT', chunkKey);
    await expectRejectCode(() => openChunkedRawReader(chunkKey, nonce, new Uint8Array(16), typo({ context: 'x' })), 'ERR_ARGUMENT');
  });

  it('known keys and undefined options still work', () => {
    expect(new XtsCipher(xtsKey, { sectorSize: 512, ivSectorSize: 512, backend: 'auto' }).sectorSize).toBe(512);
    expect(new XtsCipher(xtsKey).sectorSize).toBe(4096);
    const sealed = encryptChunked(chunkKey, new Uint8Array(5), { context: 'c', backend: 'portable' });
    expect(decryptChunked(chunkKey, sealed, { context: 'c' }).length).toBe(5);
    expectCode(() => new XtsCipher(xtsKey, typo(null)), 'ERR_ARGUMENT', xtsKey);
  });
});

describe('one check, two wordings', () => {
  // The library's options and the envelope's share src/options.ts checkKeys; each keeps its message.
  it("the library's names the key and the known ones", () => {
    const err = expectCode(() => new XtsCipher(xtsKey, typo({ sectorsize: 512 })), 'ERR_ARGUMENT', xtsKey);
    expect(err.message).toBe(
      'unknown option "sectorsize" in XtsCipher options; known: sectorSize, ivSectorSize, backend, kernel (ERR_ARGUMENT)',
    );
    expect(expectCode(() => new XtsCipher(xtsKey, typo([])), 'ERR_ARGUMENT', xtsKey).message).toBe(
      'XtsCipher options must be an object (ERR_ARGUMENT)',
    );
  });

  it("the envelope's names the object and the key, and refuses no object at all", () => {
    expect(expectCode(() => createEnvelopeDecryptStream(typo({ identities: ['x'], idenities: 1 })), 'ERR_ARGUMENT').message).toBe(
      'unknown options option: idenities (ERR_ARGUMENT)',
    );
    expect(expectCode(() => createEnvelopeDecryptStream(typo(undefined)), 'ERR_ARGUMENT').message).toBe(
      'options must be an object (ERR_ARGUMENT)',
    );
  });
});
