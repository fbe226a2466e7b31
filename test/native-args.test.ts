/**
 * The addon re-checks every length and offset: bad calls straight from JavaScript throw,
 * they never crash or touch memory outside the buffers (run under ASan: npm run test:asan).
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { cpuHasAesNi } from './backends.js';

type AnyFn = (...args: unknown[]) => unknown;
interface RawAddon {
  kernels(): string[];
  XtsKey: new (...args: unknown[]) => Record<string, AnyFn>;
  GcmKey: new (...args: unknown[]) => Record<string, AnyFn>;
}

const require = createRequire(import.meta.url);
const addon = (require('node-gyp-build') as (dir: string) => RawAddon)(path.resolve(__dirname, '..'));
const b = (n: number) => new Uint8Array(n);

describe.runIf(cpuHasAesNi())('native addon argument checks', () => {
  for (const kernel of addon.kernels()) {
    describe(kernel, () => {
      const xts = new addon.XtsKey(
        new Uint8Array(64).map((_, i) => i),
        kernel,
      );
      const gcm = new addon.GcmKey(b(32), kernel);

      it('refuses bad keys and kernels', () => {
        expect(() => new addon.XtsKey(b(31), kernel)).toThrow(RangeError);
        expect(() => new addon.XtsKey('k'.repeat(64), kernel)).toThrow(TypeError);
        expect(() => new addon.GcmKey(b(20), kernel)).toThrow(RangeError);
        expect(() => new addon.GcmKey(b(16), 'no-such-kernel')).toThrow(/cannot run/);
      });

      it('refuses bad sector batches', () => {
        const t = b(16);
        expect(() => xts.encryptSectors(b(512), b(511), 512, t, 1)).toThrow(/dst/);
        expect(() => xts.encryptSectors(b(500), b(500), 512, t, 1)).toThrow(/whole number/);
        expect(() => xts.encryptSectors(b(512), b(512), 500, t, 1)).toThrow(/multiple of 16/);
        expect(() => xts.encryptSectors(b(512), b(512), 0, t, 1)).toThrow(RangeError);
        expect(() => xts.encryptSectors(b(512), b(512), 2 ** 40, t, 1)).toThrow(RangeError);
        expect(() => xts.encryptSectors(b(512), b(512), 512, b(15), 1)).toThrow(/16 bytes/);
        expect(() => xts.encryptSectors(b(512), b(512), 512, t, 0)).toThrow(RangeError);
        expect(() => xts.encryptSectors(b(512), b(512), 512, t, 1.5)).toThrow(RangeError);
        expect(() => xts.encryptSectors(b(512), b(512), 512, t, Number.NaN)).toThrow(RangeError);
        expect(() => xts.encryptSectors(b(512), b(512), '512', t, 1)).toThrow(TypeError);
        expect(() => xts.encryptSectors(new Uint16Array(256), b(512), 512, t, 1)).toThrow(TypeError);
        expect(() => xts.encryptSectors(b(1024), b(1024), 512, b(16).fill(0xff), 1)).toThrow(/overflows/);
        expect(() => xts.encryptSectorsAsync(b(512), null, 512, t, 1)).toThrow(TypeError);
      });

      it('refuses bad data units', () => {
        expect(() => xts.encryptUnit(b(16), b(15), b(15))).toThrow(/at least 16/);
        expect(() => xts.encryptUnit(b(16), b(17), b(16))).toThrow(/dst/);
        expect(() => xts.decryptUnit(b(8), b(32), b(32))).toThrow(/16 bytes/);
      });

      it('refuses bad GCM calls', () => {
        expect(() => gcm.seal(b(11), b(10), b(0), b(26))).toThrow(/12 bytes/);
        expect(() => gcm.seal(b(12), b(10), b(0), b(25))).toThrow(/dst/);
        expect(() => gcm.open(b(12), b(15), b(0), b(0))).toThrow(/tag/);
        expect(() => gcm.open(b(12), b(20), b(0), b(3))).toThrow(/dst/);
        expect(() => gcm.seal(b(12), b(10), 'aad', b(26))).toThrow(TypeError);
        expect(() => gcm.sealChunks(b(12), b(100), 0, 0, b(200))).toThrow(RangeError);
        expect(() => gcm.sealChunks(b(12), b(100), 30, 0, b(200))).toThrow(/whole number/);
        expect(() => gcm.sealChunks(b(12), b(64), 32, 0, b(95))).toThrow(/too short/);
        expect(() => gcm.openChunks(b(12), b(96), 32, 2 ** 53, b(64))).toThrow(RangeError);
        expect(() => gcm.openChunks(b(12), b(144), 32, 2 ** 53 - 2, b(96))).toThrow(/2\^53/);
      });

      it('throws after destroy, also while the key object lives on', () => {
        const k = new addon.GcmKey(b(16), kernel);
        k.destroy();
        expect(() => k.seal(b(12), b(1), b(0), b(17))).toThrow(/destroyed/);
        const x = new addon.XtsKey(
          new Uint8Array(32).map((_, i) => i),
          kernel,
        );
        x.destroy();
        expect(() => x.encryptUnit(b(16), b(16), b(16))).toThrow(/destroyed/);
      });

      it('keeps the keys for an async job that destroy() races', async () => {
        const key = new Uint8Array(64).map((_, i) => i * 3);
        const x = new addon.XtsKey(key, kernel);
        const ref = new addon.XtsKey(key, kernel);
        const data = new Uint8Array(1 << 20).map((_, i) => i);
        const out = b(data.length);
        const pending = x.encryptSectorsAsync(data, out, 4096, b(16), 1) as Promise<void>;
        x.destroy();
        await pending;
        const expected = b(data.length);
        ref.encryptSectors(data, expected, 4096, b(16), 1);
        expect(Buffer.from(out).equals(Buffer.from(expected))).toBe(true);
      });
    });
  }
});
