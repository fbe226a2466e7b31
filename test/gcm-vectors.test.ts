/** AES-GCM known answers: NIST CAVP gcmEncryptExtIV*.rsp and gcmDecrypt*.rsp. */
import { describe, expect, it } from 'vitest';
import { AesGcm, SectorCryptError } from '../src/index.js';
import { testBackends } from './backends.js';
import { concat, toHex } from './bytes.js';
import { gcmNist, type GcmVector } from './vectors.js';

const SIZES = [128, 192, 256];
const ours = (v: GcmVector) => v.ivBits === 96 && v.tagBits === 128;

/** The thrown error's code, or 'ok' when nothing was thrown. */
function codeOf(fn: () => unknown): string {
  try {
    fn();
    return 'ok';
  } catch (err) {
    return err instanceof SectorCryptError ? err.code : String(err);
  }
}

// The README counts 25 sections of 15 entries with IVlen 96 and Taglen 128 per file.
it.each(SIZES.flatMap((s) => [`gcm-nist/gcmEncryptExtIV${s}.rsp`, `gcm-nist/gcmDecrypt${s}.rsp`]))(
  '%s has 375 entries with IVlen 96, Taglen 128',
  (file) => {
    expect(gcmNist(file).filter(ours).length).toBe(375);
  },
);

describe.each(testBackends())('%s backend', (backend) => {
  describe.each(SIZES)('AES-%i', (size) => {
    const encFile = `gcm-nist/gcmEncryptExtIV${size}.rsp`;
    const decFile = `gcm-nist/gcmDecrypt${size}.rsp`;

    it(`${encFile} (IVlen 96, Taglen 128): seal gives CT || Tag and open gives PT back`, () => {
      const bad = gcmNist(encFile)
        .filter(ours)
        .filter((v) => {
          const gcm = new AesGcm(v.key, { backend });
          const sealed = gcm.seal(v.iv, v.pt!, v.aad);
          return toHex(sealed) !== toHex(concat(v.ct, v.tag)) || toHex(gcm.open(v.iv, sealed, v.aad)) !== toHex(v.pt!);
        });
      expect(bad.map((v) => `${v.key.length * 8}/${v.pt!.length}/${v.aad.length}/Count ${v.count}`)).toEqual([]);
    });

    it(`${decFile} (IVlen 96, Taglen 128): open gives PT, FAIL entries throw ERR_AUTH`, () => {
      const vectors = gcmNist(decFile).filter(ours);
      expect(vectors.some((v) => v.pt === undefined)).toBe(true);
      const bad = vectors.filter((v) => {
        const gcm = new AesGcm(v.key, { backend });
        const got = codeOf(() => gcm.open(v.iv, concat(v.ct, v.tag), v.aad));
        if (v.pt === undefined) return got !== 'ERR_AUTH';
        return got !== 'ok' || toHex(gcm.open(v.iv, concat(v.ct, v.tag), v.aad)) !== toHex(v.pt);
      });
      expect(bad.map((v) => `${v.ct.length}/${v.aad.length}/Count ${v.count}`)).toEqual([]);
    });

    it(`${encFile}: nonces other than 96 bits are refused with ERR_NONCE_LENGTH`, () => {
      const others = gcmNist(encFile).filter((v) => v.ivBits !== 96);
      expect(others.length).toBeGreaterThan(0);
      const bad = others.filter((v) => codeOf(() => new AesGcm(v.key, { backend }).seal(v.iv, v.pt!, v.aad)) !== 'ERR_NONCE_LENGTH');
      expect(bad.map((v) => `IVlen ${v.ivBits} Count ${v.count}`)).toEqual([]);
    });

    it(`${decFile}: tags shorter than 128 bits are refused with ERR_AUTH`, () => {
      const short = gcmNist(decFile).filter((v) => v.ivBits === 96 && v.tagBits < 128);
      expect(short.length).toBeGreaterThan(0);
      const bad = short.filter((v) => codeOf(() => new AesGcm(v.key, { backend }).open(v.iv, concat(v.ct, v.tag), v.aad)) !== 'ERR_AUTH');
      expect(bad.map((v) => `Taglen ${v.tagBits} Count ${v.count}`)).toEqual([]);
    });
  });
});
