/** The bench's pieces that can be checked without timing anything. */
import { describe, expect, it } from 'vitest';
import { parseSpeed } from '../src/bench/openssl.js';
import { formatTable } from '../src/bench/report.js';
import type { BenchReport } from '../src/bench/run.js';
import { loadNative } from '../src/backend/native.js';

describe('bench', () => {
  it('reads the rate from openssl speed output (1000s of bytes per second)', () => {
    const out = "The 'numbers' are in 1000s of bytes per second processed.\ntype          16384 bytes\nAES-256-XTS    6968950.78k\n";
    expect(parseSpeed(out)).toBeCloseTo(6968.95078, 4);
    expect(parseSpeed('garbage')).toBeUndefined();
  });

  it('prints ratios against node:crypto and the openssl reference', () => {
    const row = { mode: 'xts', keyBits: 256, unit: 4096, batch: 1 << 20 } as const;
    const report: BenchReport = {
      sectorcrypt: '0',
      node: '20',
      openssl: '3',
      seconds: 1,
      cpu: { model: 'test cpu', cores: 2, features: { aesni: true, vaes: false } },
      backend: { backend: 'native', kernel: 'aesni', cpu: {} },
      unit: 'MB/s (10^6 bytes per second), median of tinybench samples',
      rows: [
        {
          ...row,
          backend: 'native',
          kernel: 'aesni',
          encryptMBps: 3000,
          decryptMBps: 2000,
          vsNodeCrypto: { encrypt: 3, decrypt: 2 },
          ceilingMBps: 4000,
          ofCeiling: { encrypt: 0.75, decrypt: 0.5 },
        },
        {
          ...row,
          backend: 'node:crypto',
          kernel: 'openssl',
          encryptMBps: 1000,
          decryptMBps: 1000,
          vsNodeCrypto: { encrypt: 1, decrypt: 1 },
          ceilingMBps: 4000,
          ofCeiling: { encrypt: 0.25, decrypt: 0.25 },
        },
      ],
      ceilings: [{ kernel: 'aesni', keyBits: 256, mbps: 4000, runs: 1 }],
      scaling: [],
      opensslSpeed: [{ mode: 'xts', keyBits: 256, unit: 16384, direction: 'encrypt', mbps: 1500, version: 'OpenSSL 3' }],
    };
    const table = formatTable(report);
    expect(table).toContain('CPU: test cpu, 2 cores; aesni');
    expect(table).toMatch(/xts\s+256b\s+4 KiB\s+native\/aesni\s+3000 MB\/s\s+2000 MB\/s\s+3\.00x \/ 2\.00x\s+75% \/ 50%/);
    expect(table).toMatch(/aesni\s+aes-256\s+4000 MB\/s/);
    expect(table).toMatch(/aes-256-xts encrypt\s+1500 MB\/s best 2\.00x/);
  });

  it('runs the calibration kernel of every kernel, whole steps of at least the bytes asked', () => {
    const native = loadNative();
    if (!native.aesCeiling) return;
    for (const kernel of native.kernels) {
      for (const bits of [128, 192, 256]) {
        const done = native.aesCeiling(kernel, bits, 1000);
        expect(done).toBeGreaterThanOrEqual(1000);
        expect(done % 128).toBe(0);
      }
    }
    expect(() => native.aesCeiling!(native.kernels[0], 100, 1000)).toThrow(/keyBits/);
    expect(() => native.aesCeiling!('no-such-kernel', 128, 1000)).toThrow(/cannot run/);
  });
});
