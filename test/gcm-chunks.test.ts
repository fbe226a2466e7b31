/** AesGcm chunk batches (sealChunks/openChunks): each chunk equals a one-off seal by node:crypto. */
import { describe, expect, it } from 'vitest';
import { AesGcm } from '../src/index.js';
import { testBackends } from './backends.js';
import { expectCode, expectRejectCode, toHex } from './bytes.js';
import { nodeGcmSeal } from './reference.js';
import { Rng } from './rng.js';

/** baseNonce XOR index, big-endian over the 12 bytes. */
function chunkNonce(base: Uint8Array, index: number): Uint8Array {
  const nonce = Uint8Array.from(base);
  let rest = BigInt(index);
  for (let i = 11; i >= 0; i--, rest >>= 8n) nonce[i] ^= Number(rest & 0xffn);
  return nonce;
}

describe.each(testBackends())('%s backend', (backend) => {
  const rng = new Rng();
  const note = `seed ${rng.seed}`;

  describe.each([
    [16, 16384, 5, 0],
    [32, 16384, 70, 2 ** 38 - 70],
    [24, 100, 9, 2 ** 40 + 255],
    [32, 1, 3, 7],
  ])('%i-byte key, %i-byte chunks x %i from index %i', (keyLength, size, count, first) => {
    const key = rng.bytes(keyLength);
    const base = rng.bytes(12);
    const gcm = new AesGcm(key, { backend });
    const plaintext = rng.bytes(size * count);
    const expected = new Uint8Array(count * (size + 16));
    for (let i = 0; i < count; i++) {
      expected.set(nodeGcmSeal(key, chunkNonce(base, first + i), plaintext.subarray(i * size, (i + 1) * size)), i * (size + 16));
    }

    it('seals like node:crypto chunk by chunk, sync and async', async () => {
      expect(toHex(gcm.sealChunks(base, plaintext, size, first)), note).toBe(toHex(expected));
      expect(toHex(await gcm.sealChunksAsync(base, plaintext, size, first)), note).toBe(toHex(expected));
    });

    it('opens them, sync and async, into a given out', async () => {
      const out = new Uint8Array(plaintext.length);
      expect(gcm.openChunks(base, expected, size, first, out)).toBe(out);
      expect(toHex(out), note).toBe(toHex(plaintext));
      expect(toHex(await gcm.openChunksAsync(base, expected, size, first)), note).toBe(toHex(plaintext));
    });

    it('refuses a tampered, reordered or misnumbered batch and returns no plaintext', async () => {
      const tampered = Uint8Array.from(expected);
      tampered[tampered.length - 20] ^= 1;
      const out = new Uint8Array(plaintext.length).fill(0xaa);
      expectCode(() => gcm.openChunks(base, tampered, size, first, out), 'ERR_AUTH');
      expect(out.every((x) => x === 0)).toBe(true);
      await expectRejectCode(() => gcm.openChunksAsync(base, tampered, size, first), 'ERR_AUTH');
      expectCode(() => gcm.openChunks(base, expected, size, first + 1), 'ERR_AUTH');
      if (count > 1) {
        const swapped = Uint8Array.from(expected);
        swapped.set(expected.subarray(0, size + 16), size + 16);
        swapped.set(expected.subarray(size + 16, 2 * (size + 16)), 0);
        expectCode(() => gcm.openChunks(base, swapped, size, first), 'ERR_AUTH');
      }
    });

    it('names the first forged chunk, sync and async (async batches go over the cores in slices), and zeroes out', async () => {
      for (const bad of new Set([0, Math.floor(count / 2), count - 1])) {
        // The forged chunk and, after it, the last one: the error names the first.
        const tampered = Uint8Array.from(expected);
        tampered[bad * (size + 16)] ^= 1;
        tampered[tampered.length - 1] ^= 1;
        const message = `for chunk ${first + bad} (`;
        const out = new Uint8Array(plaintext.length).fill(0xaa);
        expect(() => gcm.openChunks(base, tampered, size, first, out), note).toThrow(message);
        expect(out.every((x) => x === 0)).toBe(true);
        out.fill(0xaa);
        await expect(gcm.openChunksAsync(base, tampered, size, first, out), note).rejects.toThrow(message);
        expect(out.every((x) => x === 0)).toBe(true);
      }
    });
  });

  it('checks its arguments', () => {
    const gcm = new AesGcm(rng.bytes(16), { backend });
    const base = rng.bytes(12);
    expectCode(() => gcm.sealChunks(rng.bytes(11), new Uint8Array(32), 16, 0), 'ERR_NONCE_LENGTH');
    expectCode(() => gcm.sealChunks(base, new Uint8Array(33), 16, 0), 'ERR_DATA_LENGTH');
    expectCode(() => gcm.openChunks(base, new Uint8Array(40), 16, 0), 'ERR_DATA_LENGTH');
    expectCode(() => gcm.sealChunks(base, new Uint8Array(32), 0, 0), 'ERR_ARGUMENT');
    expectCode(() => gcm.sealChunks(base, new Uint8Array(32), 16, -1), 'ERR_ARGUMENT');
    expectCode(() => gcm.sealChunks(base, new Uint8Array(32), 16, 0.5), 'ERR_ARGUMENT');
    expectCode(() => gcm.sealChunks(base, new Uint8Array(32), 16, 2 ** 53 - 1), 'ERR_ARGUMENT');
    expectCode(() => gcm.sealChunks(base, new Uint8Array(32), 16, 0, new Uint8Array(63)), 'ERR_ARGUMENT');
    expect(gcm.sealChunks(base, new Uint8Array(0), 16, 0).length).toBe(0);
    gcm.destroy();
    expectCode(() => gcm.sealChunks(base, new Uint8Array(32), 16, 0), 'ERR_CLOSED');
  });
});
