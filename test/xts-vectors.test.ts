/** XTS known answers: NIST CAVP XTSGen files and IEEE 1619-2007 Appendix B. */
import { describe, expect, it } from 'vitest';
import { XtsCipher } from '../src/index.js';
import { testBackends } from './backends.js';
import { expectCode, toHex } from './bytes.js';
import { ieee1619, xtsNist, type XtsVector } from './vectors.js';

const NIST_FILES = [
  'xts-nist/tweak-128hexstr/XTSGenAES128.rsp',
  'xts-nist/tweak-128hexstr/XTSGenAES256.rsp',
  'xts-nist/tweak-dataunitseqno/XTSGenAES128.rsp',
  'xts-nist/tweak-dataunitseqno/XTSGenAES256.rsp',
];

/** Whole-byte entries per file, as counted in the vectors README. */
const WHOLE_BYTE_ENTRIES: Record<string, number> = { XTSGenAES128: 800, XTSGenAES256: 600 };

/** Runs `check` on every vector and collects the COUNTs that fail, so one run shows all. */
function failures(vectors: XtsVector[], check: (v: XtsVector) => boolean): number[] {
  return vectors.filter((v) => !check(v)).map((v) => v.count);
}

// Guards the parser and the bit-length filter: the README documents these counts.
it.each(NIST_FILES)('%s has the documented number of whole-byte entries', (file) => {
  const base = file.split('/').pop()!.replace('.rsp', '');
  expect(xtsNist(file).length).toBe(WHOLE_BYTE_ENTRIES[base]);
});

describe.each(testBackends())('%s backend', (backend) => {
  describe.each(NIST_FILES)('NIST %s', (file) => {
    const all = xtsNist(file);

    describe.each(['ENCRYPT', 'DECRYPT'] as const)('[%s]', (mode) => {
      const vectors = all.filter((v) => v.mode === mode);

      it(`${file} [${mode}]: encrypt(tweak) gives CT and decrypt(tweak) gives PT`, () => {
        expect(vectors.length).toBeGreaterThan(0);
        const bad = failures(vectors, (v) => {
          const xts = new XtsCipher(v.key, { backend });
          const ok = toHex(xts.encrypt(v.tweak, v.pt)) === toHex(v.ct) && toHex(xts.decrypt(v.tweak, v.ct)) === toHex(v.pt);
          xts.destroy();
          return ok;
        });
        expect(bad, `${file} [${mode}] failing COUNTs`).toEqual([]);
      });

      // Sector calls apply where the tweak is a sequence number and the unit is whole blocks.
      const sectorVectors = vectors.filter((v) => v.seq !== undefined && v.pt.length % 16 === 0);
      if (file.includes('dataunitseqno')) {
        it(`${file} [${mode}]: encryptSectors/decryptSectors with sectorSize = data unit`, () => {
          expect(sectorVectors.length).toBeGreaterThan(0);
          const bad = failures(sectorVectors, (v) => {
            const xts = new XtsCipher(v.key, { backend, sectorSize: v.pt.length });
            const ok =
              toHex(xts.encryptSectors(v.pt, v.seq!)) === toHex(v.ct) &&
              toHex(xts.decryptSectors(v.ct, v.seq!)) === toHex(v.pt) &&
              toHex(xts.encryptSectors(v.pt, Number(v.seq!))) === toHex(v.ct);
            xts.destroy();
            return ok;
          });
          expect(bad, `${file} [${mode}] failing COUNTs`).toEqual([]);
        });
      }
    });
  });

  describe('IEEE 1619 xts-ieee1619/ieee1619.json', () => {
    const vectors = ieee1619();

    it('ieee1619.json vector 1 (equal key halves) is refused with ERR_XTS_WEAK_KEY', () => {
      const v1 = vectors.find((v) => v.id === 1)!;
      expectCode(() => new XtsCipher(v1.key, { backend }), 'ERR_XTS_WEAK_KEY', v1.key);
    });

    it.each(vectors.filter((v) => v.id !== 1).map((v) => [v.id, v] as const))('ieee1619.json vector %i', (_id, v) => {
      const xts = new XtsCipher(v.key, { backend, sectorSize: 512 });
      expect(toHex(xts.encrypt(v.tweak, v.pt))).toBe(toHex(v.ct));
      expect(toHex(xts.decrypt(v.tweak, v.ct))).toBe(toHex(v.pt));
      // The 512-byte vectors use small sequence numbers: check them through the sector API too.
      const seq = v.tweak.reduceRight((acc, b) => (acc << 8n) | BigInt(b), 0n);
      if (v.pt.length === 512) {
        expect(toHex(xts.encryptSectors(v.pt, seq))).toBe(toHex(v.ct));
        expect(toHex(xts.decryptSectors(v.ct, seq))).toBe(toHex(v.pt));
      }
    });
  });
});
