/** Every refusal at the API edge: its code, and that no message carries key bytes. */
import { describe, expect, it } from 'vitest';
import { AesGcm, SectorCryptError, XtsCipher } from '../src/index.js';
import { testBackends } from './backends.js';
import { expectCode, expectRejectCode } from './bytes.js';
import { Rng } from './rng.js';

const NOT_BYTES: [string, unknown][] = [
  ['a string', 'x'.repeat(512)],
  ['an array', new Array(512).fill(0)],
  ['a DataView', new DataView(new ArrayBuffer(512))],
  ['a Uint16Array', new Uint16Array(256)],
  ['an ArrayBuffer', new ArrayBuffer(512)],
  ['null', null],
];

describe.each(testBackends())('%s backend', (backend) => {
  const rng = new Rng();
  const key = rng.bytes(64);

  describe('XtsCipher construction', () => {
    it.each([0, 16, 24, 31, 33, 47, 63, 65, 128])('ERR_KEY_LENGTH for a %i-byte key', (n) => {
      const bad = rng.bytes(n);
      expectCode(() => new XtsCipher(bad, { backend }), 'ERR_KEY_LENGTH', bad);
    });

    it.each(NOT_BYTES)('ERR_KEY_LENGTH for a key that is %s', (_name, value) => {
      expectCode(() => new XtsCipher(value as Uint8Array, { backend }), 'ERR_KEY_LENGTH');
    });

    it.each([32, 48, 64])('ERR_XTS_WEAK_KEY for a %i-byte key with equal halves, key not in the message', (n) => {
      const half = rng.bytes(n / 2);
      const weak = new Uint8Array([...half, ...half]);
      expectCode(() => new XtsCipher(weak, { backend }), 'ERR_XTS_WEAK_KEY', weak);
    });

    it('halves that differ only in the last byte are accepted', () => {
      const k = new Uint8Array(32).fill(9);
      k[31] = 8;
      expect(() => new XtsCipher(k, { backend })).not.toThrow();
    });

    it.each([0, -16, 8, 100, 4097, 16.5, 32 * 1024 * 1024, 16 * 1024 * 1024 + 16, NaN, Infinity, '4096', null])(
      'ERR_ARGUMENT for sectorSize %s',
      (sectorSize) => {
        expectCode(() => new XtsCipher(key, { backend, sectorSize: sectorSize as number }), 'ERR_ARGUMENT', key);
      },
    );

    it('accepts sectorSize 16 and 16 MiB', () => {
      expect(new XtsCipher(key, { backend, sectorSize: 16 }).sectorSize).toBe(16);
      expect(new XtsCipher(key, { backend, sectorSize: 16 * 1024 * 1024 }).sectorSize).toBe(16 * 1024 * 1024);
    });

    it.each([
      [4096, 0],
      [4096, 100],
      [4096, 1536],
      [4096, 8192],
      [512, -512],
      [512, 256.5],
    ])('ERR_ARGUMENT for sectorSize %i with ivSectorSize %s', (sectorSize, ivSectorSize) => {
      expectCode(() => new XtsCipher(key, { backend, sectorSize, ivSectorSize }), 'ERR_ARGUMENT', key);
    });

    it('defaults: sectorSize 4096, ivSectorSize = sectorSize', () => {
      const xts = new XtsCipher(key, { backend });
      expect([xts.sectorSize, xts.ivSectorSize]).toEqual([4096, 4096]);
      expect(new XtsCipher(key, { backend, sectorSize: 1024 }).ivSectorSize).toBe(1024);
    });

    it('ERR_ARGUMENT for options that are not an object, or an unknown backend', () => {
      expectCode(() => new XtsCipher(key, null as never), 'ERR_ARGUMENT', key);
      expectCode(() => new XtsCipher(key, { backend: 'fast' as never }), 'ERR_ARGUMENT', key);
    });
  });

  describe('XtsCipher calls', () => {
    const xts = new XtsCipher(key, { backend, sectorSize: 512 });
    const sector = rng.bytes(512);

    it.each([1, 100, 511, 513, 1000])('ERR_SECTOR_ALIGNMENT for %i bytes of 512-byte sectors', (n) => {
      expectCode(() => xts.encryptSectors(rng.bytes(n), 0), 'ERR_SECTOR_ALIGNMENT', key);
      expectCode(() => xts.decryptSectors(rng.bytes(n), 0), 'ERR_SECTOR_ALIGNMENT', key);
    });

    it.each(NOT_BYTES)('ERR_ARGUMENT for data that is %s', (_name, value) => {
      expectCode(() => xts.encryptSectors(value as Uint8Array, 0), 'ERR_ARGUMENT', key);
      expectCode(() => xts.encrypt(new Uint8Array(16), value as Uint8Array), 'ERR_ARGUMENT', key);
    });

    const badSectors: [string, unknown][] = [
      ['-1', -1],
      ['1.5', 1.5],
      ['NaN', NaN],
      ['Infinity', Infinity],
      ['2^53 (as a number)', 2 ** 53],
      ['-1n', -1n],
      ['2^64 (as a bigint)', 2n ** 64n],
      ["'0' (a string)", '0'],
      ['null', null],
      ['undefined', undefined],
    ];
    it.each(badSectors)('ERR_ARGUMENT for firstSector %s', (_name, value) => {
      expectCode(() => xts.encryptSectors(sector, value as number), 'ERR_ARGUMENT', key);
      expectCode(() => xts.decryptSectors(sector, value as number), 'ERR_ARGUMENT', key);
    });

    it('ERR_ARGUMENT when the last sector of the batch passes 2^64-1', () => {
      const two = rng.bytes(1024);
      expectCode(() => xts.encryptSectors(two, 2n ** 64n - 1n), 'ERR_ARGUMENT', key);
      expect(xts.encryptSectors(two, 2n ** 64n - 2n).length).toBe(1024);
      expect(xts.encryptSectors(sector, 2n ** 64n - 1n).length).toBe(512);
      expect(xts.encryptSectors(sector, Number.MAX_SAFE_INTEGER).length).toBe(512);
    });

    it('ERR_ARGUMENT for an out that is not a Uint8Array or is too short', () => {
      for (const [, bad] of NOT_BYTES.filter(([, v]) => v !== null)) {
        expectCode(() => xts.encryptSectors(sector, 0, bad as Uint8Array), 'ERR_ARGUMENT', key);
        expectCode(() => xts.decrypt(new Uint8Array(16), sector, bad as Uint8Array), 'ERR_ARGUMENT', key);
      }
      expectCode(() => xts.encryptSectors(sector, 0, new Uint8Array(511)), 'ERR_ARGUMENT', key);
      expectCode(() => xts.encrypt(new Uint8Array(16), sector, new Uint8Array(100)), 'ERR_ARGUMENT', key);
    });

    it.each([0, 1, 15])('ERR_DATA_LENGTH for a %i-byte data unit', (n) => {
      expectCode(() => xts.encrypt(new Uint8Array(16), rng.bytes(n)), 'ERR_DATA_LENGTH', key);
      expectCode(() => xts.decrypt(new Uint8Array(16), rng.bytes(n)), 'ERR_DATA_LENGTH', key);
    });

    it('ERR_DATA_LENGTH for a data unit over 2^20 blocks (IEEE 1619 limit)', () => {
      expectCode(() => xts.encrypt(new Uint8Array(16), new Uint8Array(16 * 1024 * 1024 + 1)), 'ERR_DATA_LENGTH', key);
    });

    it.each([
      ['15 bytes', new Uint8Array(15)],
      ['17 bytes', new Uint8Array(17)],
      ['an array', new Array(16).fill(0)],
      ['a string', '0123456789abcdef'],
    ])('ERR_ARGUMENT for a tweak of %s', (_name, tweak) => {
      expectCode(() => xts.encrypt(tweak as Uint8Array, sector), 'ERR_ARGUMENT', key);
      expectCode(() => xts.decrypt(tweak as Uint8Array, sector), 'ERR_ARGUMENT', key);
    });

    it('async calls reject (not throw) with the same codes', async () => {
      // A bad call still returns a promise (no synchronous throw), which then rejects.
      const pending = xts.encryptSectorsAsync(rng.bytes(100), 0);
      expect(pending).toBeInstanceOf(Promise);
      await expectRejectCode(() => pending, 'ERR_SECTOR_ALIGNMENT');
      await expectRejectCode(() => xts.decryptSectorsAsync(sector, -1), 'ERR_ARGUMENT');
      await expectRejectCode(() => xts.encryptSectorsAsync(sector, 0, new Uint8Array(1)), 'ERR_ARGUMENT');
    });
  });

  it('XtsCipher: every method after destroy() is ERR_CLOSED; destroy twice is fine', async () => {
    const xts = new XtsCipher(key, { backend, sectorSize: 512 });
    const sector = rng.bytes(512);
    xts.destroy();
    xts.destroy();
    expectCode(() => xts.encryptSectors(sector, 0), 'ERR_CLOSED', key);
    expectCode(() => xts.decryptSectors(sector, 0), 'ERR_CLOSED', key);
    expectCode(() => xts.encrypt(new Uint8Array(16), sector), 'ERR_CLOSED', key);
    expectCode(() => xts.decrypt(new Uint8Array(16), sector), 'ERR_CLOSED', key);
    await expectRejectCode(() => xts.encryptSectorsAsync(sector, 0), 'ERR_CLOSED');
    await expectRejectCode(() => xts.decryptSectorsAsync(sector, 0), 'ERR_CLOSED');
  });

  describe('AesGcm', () => {
    const gcmKey = rng.bytes(32);
    const gcm = new AesGcm(gcmKey, { backend });
    const nonce = rng.bytes(12);

    it.each([0, 8, 15, 17, 23, 25, 31, 33, 64])('ERR_KEY_LENGTH for a %i-byte key', (n) => {
      const bad = rng.bytes(n);
      expectCode(() => new AesGcm(bad, { backend }), 'ERR_KEY_LENGTH', bad);
    });

    it.each(NOT_BYTES)('ERR_KEY_LENGTH for a key that is %s', (_name, value) => {
      expectCode(() => new AesGcm(value as Uint8Array, { backend }), 'ERR_KEY_LENGTH');
    });

    it.each([0, 8, 11, 13, 16, 128])('ERR_NONCE_LENGTH for a %i-byte nonce', (n) => {
      expectCode(() => gcm.seal(rng.bytes(n), new Uint8Array(5)), 'ERR_NONCE_LENGTH', gcmKey);
      expectCode(() => gcm.open(rng.bytes(n), new Uint8Array(32)), 'ERR_NONCE_LENGTH', gcmKey);
    });

    it.each(NOT_BYTES)('ERR_ARGUMENT for plaintext, sealed, aad or out that is %s', (_name, value) => {
      const bad = value as Uint8Array;
      expectCode(() => gcm.seal(nonce, bad), 'ERR_ARGUMENT', gcmKey);
      expectCode(() => gcm.open(nonce, bad), 'ERR_ARGUMENT', gcmKey);
      if (value !== null) {
        expectCode(() => gcm.seal(nonce, new Uint8Array(4), bad), 'ERR_ARGUMENT', gcmKey);
        expectCode(() => gcm.seal(nonce, new Uint8Array(4), undefined, bad), 'ERR_ARGUMENT', gcmKey);
        expectCode(() => gcm.open(nonce, new Uint8Array(32), undefined, bad), 'ERR_ARGUMENT', gcmKey);
      }
    });

    it('ERR_ARGUMENT for an out shorter than the result', () => {
      expectCode(() => gcm.seal(nonce, new Uint8Array(10), undefined, new Uint8Array(25)), 'ERR_ARGUMENT', gcmKey);
      const sealed = gcm.seal(nonce, new Uint8Array(10));
      expectCode(() => gcm.open(nonce, sealed, undefined, new Uint8Array(9)), 'ERR_ARGUMENT', gcmKey);
    });

    it('ERR_AUTH for sealed data shorter than the tag; the message carries no key', () => {
      for (const n of [0, 1, 15]) expectCode(() => gcm.open(nonce, new Uint8Array(n)), 'ERR_AUTH', gcmKey);
    });

    it('every method after destroy() is ERR_CLOSED', () => {
      const g = new AesGcm(gcmKey, { backend });
      const sealed = g.seal(nonce, new Uint8Array(3));
      g.destroy();
      g.destroy();
      expectCode(() => g.seal(nonce, new Uint8Array(3)), 'ERR_CLOSED', gcmKey);
      expectCode(() => g.open(nonce, sealed), 'ERR_CLOSED', gcmKey);
    });
  });

  it('errors are SectorCryptError instances of Error with a stable code', () => {
    const err = expectCode(() => new XtsCipher(new Uint8Array(3), { backend }), 'ERR_KEY_LENGTH');
    expect(err).toBeInstanceOf(Error);
    expect(err.name).toBe('SectorCryptError');
    expect(err).toBeInstanceOf(SectorCryptError);
  });
});
