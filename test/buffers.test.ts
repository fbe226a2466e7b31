/**
 * Memory layouts: in place, views at odd byte offsets, partial overlap of input and
 * output, `out` longer than needed, Buffer input, empty input, async equal to sync.
 */
import { describe, expect, it } from 'vitest';
import { AesGcm, XtsCipher } from '../src/index.js';
import { testBackends } from './backends.js';
import { toHex } from './bytes.js';
import { Rng } from './rng.js';

/** A copy of `bytes` placed at byteOffset `offset` of a larger buffer. */
function at(offset: number, bytes: Uint8Array, spare = 0): Uint8Array {
  const view = new Uint8Array(offset + bytes.length + spare).subarray(offset, offset + bytes.length);
  view.set(bytes);
  return view;
}

describe.each(testBackends())('%s backend', (backend) => {
  const rng = new Rng();
  const note = `seed ${rng.seed}`;
  const SECTOR = 512;
  const key = rng.bytes(64);
  const xts = new XtsCipher(key, { backend, sectorSize: SECTOR });
  const data = rng.bytes(4 * SECTOR);
  const first = 1234567n;
  const expected = toHex(xts.encryptSectors(data, first));

  describe('XTS sectors', () => {
    it('encrypts and decrypts in place (out === data)', () => {
      const buf = data.slice();
      expect(xts.encryptSectors(buf, first, buf)).toBe(buf);
      expect(toHex(buf)).toBe(expected);
      xts.decryptSectors(buf, first, buf);
      expect(toHex(buf)).toBe(toHex(data));
    });

    it.each([1, 2, 3, 5, 7])('input and output views at byte offset %i', (offset) => {
      const src = at(offset, data);
      const out = at(offset + 2, new Uint8Array(data.length));
      expect(toHex(xts.encryptSectors(src, first, out))).toBe(expected);
      expect(toHex(xts.encryptSectors(src, first))).toBe(expected);
      expect(toHex(xts.decryptSectors(out, first, out))).toBe(toHex(data));
    });

    it.each([-48, -17, -3, 3, 17, 48, 1000])('output overlapping the input, shifted by %i bytes', (shift) => {
      const room = 2000;
      const buf = new Uint8Array(data.length + 2 * room);
      const src = buf.subarray(room, room + data.length);
      src.set(data);
      const out = buf.subarray(room + shift, room + shift + data.length);
      expect(toHex(xts.encryptSectors(src, first, out)), note).toBe(expected);
      const back = buf.subarray(room - shift, room - shift + data.length);
      expect(toHex(xts.decryptSectors(out, first, back)), note).toBe(toHex(data));
    });

    it('writes only the first data.length bytes of a longer out and returns that view', () => {
      const out = new Uint8Array(data.length + 32).fill(0xee);
      const got = xts.encryptSectors(data, first, out);
      expect(got.buffer).toBe(out.buffer);
      expect(got.byteOffset).toBe(0);
      expect(got.length).toBe(data.length);
      expect(toHex(got)).toBe(expected);
      expect(out.subarray(data.length).every((b) => b === 0xee)).toBe(true);
    });

    it('accepts Buffer input and output', () => {
      const out = Buffer.alloc(data.length);
      expect(toHex(xts.encryptSectors(Buffer.from(data), first, out))).toBe(expected);
      expect(toHex(out)).toBe(expected);
    });

    it('returns an empty array for empty input, with any valid first sector', () => {
      expect(xts.encryptSectors(new Uint8Array(0), 0).length).toBe(0);
      expect(xts.decryptSectors(new Uint8Array(0), 2n ** 64n - 1n).length).toBe(0);
      const out = new Uint8Array(8).fill(1);
      expect(xts.encryptSectors(new Uint8Array(0), 5, out).length).toBe(0);
      expect(out.every((b) => b === 1)).toBe(true);
    });

    it('async calls give what the sync calls give, also in place and at odd offsets', async () => {
      expect(toHex(await xts.encryptSectorsAsync(data, first))).toBe(expected);
      const buf = at(3, data);
      await xts.encryptSectorsAsync(buf, first, buf);
      expect(toHex(buf)).toBe(expected);
      await xts.decryptSectorsAsync(buf, first, buf);
      expect(toHex(buf)).toBe(toHex(data));
    });

    it('async on a large batch (several thread-pool slices where the backend has them)', async () => {
      const big = new XtsCipher(key, { backend, sectorSize: 4096, ivSectorSize: 512 });
      const plain = rng.bytes(2 * 1024 * 1024 + 4096);
      const sync = big.encryptSectors(plain, 99n);
      const out = new Uint8Array(plain.length);
      await big.encryptSectorsAsync(plain, 99n, out);
      expect(toHex(out), note).toBe(toHex(sync));
      expect(toHex(await big.decryptSectorsAsync(out, 99n)), note).toBe(toHex(plain));
    });
  });

  describe('XTS data units', () => {
    const tweak = rng.bytes(16);
    const unit = rng.bytes(100);
    const unitCt = toHex(xts.encrypt(tweak, unit));

    it('in place, at odd offsets, with a partial overlap, and with a longer out', () => {
      const buf = unit.slice();
      xts.encrypt(tweak, buf, buf);
      expect(toHex(buf)).toBe(unitCt);
      expect(toHex(xts.decrypt(tweak, buf, buf))).toBe(toHex(unit));

      expect(toHex(xts.encrypt(at(1, tweak), at(3, unit), at(5, new Uint8Array(100))))).toBe(unitCt);

      const shared = new Uint8Array(140);
      shared.set(unit, 20);
      expect(toHex(xts.encrypt(tweak, shared.subarray(20, 120), shared.subarray(9, 109)))).toBe(unitCt);

      const long = new Uint8Array(130).fill(7);
      expect(toHex(xts.encrypt(tweak, unit, long))).toBe(unitCt);
      expect(long.subarray(100).every((b) => b === 7)).toBe(true);
    });

    it('a tweak that shares memory with out is read before it is overwritten', () => {
      const buf = new Uint8Array(16 + 100);
      buf.set(tweak, 0);
      buf.set(unit, 16);
      // out starts on the tweak itself.
      expect(toHex(xts.encrypt(buf.subarray(0, 16), buf.subarray(16), buf.subarray(0, 100)))).toBe(unitCt);
    });
  });

  describe('GCM', () => {
    const gcmKey = rng.bytes(32);
    const gcm = new AesGcm(gcmKey, { backend });
    const nonce = rng.bytes(12);
    const aad = rng.bytes(20);
    const pt = rng.bytes(1000);
    const sealed = toHex(gcm.seal(nonce, pt, aad));

    it('seals into a buffer that starts with the plaintext (in place, tag appended)', () => {
      const buf = new Uint8Array(pt.length + 16);
      buf.set(pt);
      expect(toHex(gcm.seal(nonce, buf.subarray(0, pt.length), aad, buf))).toBe(sealed);
      expect(toHex(gcm.open(nonce, buf, aad, buf))).toBe(toHex(pt));
    });

    it('seals and opens in place over many GHASH groups (a group is 128 to 512 bytes)', () => {
      const long = rng.bytes(5000 + 7);
      const expected = toHex(gcm.seal(nonce, long, aad));
      const buf = new Uint8Array(long.length + 16);
      buf.set(long);
      expect(toHex(gcm.seal(nonce, buf.subarray(0, long.length), aad, buf))).toBe(expected);
      expect(toHex(gcm.open(nonce, buf, aad, buf.subarray(0, long.length)))).toBe(toHex(long));
    });

    it.each([1, 2, 3])('inputs and output at byte offset %i', (offset) => {
      const out = at(offset, new Uint8Array(pt.length + 16));
      expect(toHex(gcm.seal(at(offset, nonce), at(offset, pt), at(offset, aad), out))).toBe(sealed);
      expect(toHex(gcm.open(at(offset + 1, nonce), out, at(offset + 2, aad)))).toBe(toHex(pt));
    });

    it.each([-33, -1, 1, 33])('output overlapping the plaintext, shifted by %i bytes', (shift) => {
      const buf = new Uint8Array(pt.length + 200);
      const src = buf.subarray(100, 100 + pt.length);
      src.set(pt);
      const out = buf.subarray(100 + shift, 100 + shift + pt.length + 16);
      expect(toHex(gcm.seal(nonce, src, aad, out))).toBe(sealed);
      const back = buf.subarray(100 - shift, 100 - shift + pt.length);
      expect(toHex(gcm.open(nonce, out, aad, back))).toBe(toHex(pt));
    });

    it('AAD and nonce that share memory with out are read before they are overwritten', () => {
      const buf = new Uint8Array(12 + 20 + pt.length + 16);
      buf.set(nonce, 0);
      buf.set(aad, 12);
      expect(toHex(gcm.seal(buf.subarray(0, 12), pt, buf.subarray(12, 32), buf.subarray(0, pt.length + 16)))).toBe(sealed);
    });

    it('AAD and nonce that share memory with the plaintext out are read before they are overwritten', () => {
      const sealedBytes = gcm.seal(nonce, pt, aad);
      const buf = new Uint8Array(12 + 20 + pt.length);
      buf.set(nonce, 0);
      buf.set(aad, 12);
      expect(toHex(gcm.open(buf.subarray(0, 12), sealedBytes, buf.subarray(12, 32), buf.subarray(0, pt.length)))).toBe(toHex(pt));
    });

    it('writes only the result length of a longer out and returns that view', () => {
      const out = new Uint8Array(pt.length + 16 + 10).fill(3);
      const got = gcm.seal(nonce, pt, aad, out);
      expect(got.length).toBe(pt.length + 16);
      expect(got.buffer).toBe(out.buffer);
      expect(toHex(got)).toBe(sealed);
      expect(out.subarray(pt.length + 16).every((b) => b === 3)).toBe(true);
      const plain = new Uint8Array(pt.length + 5).fill(4);
      expect(gcm.open(nonce, got, aad, plain).length).toBe(pt.length);
      expect(plain.subarray(pt.length).every((b) => b === 4)).toBe(true);
    });

    it('accepts Buffer arguments', () => {
      expect(toHex(gcm.seal(Buffer.from(nonce), Buffer.from(pt), Buffer.from(aad)))).toBe(sealed);
    });
  });
});
