/** The bench's pieces that can be checked without timing anything. */
import { describe, expect, it } from 'vitest';
import { parseSpeed } from '../src/bench/openssl.js';
import { formatTable } from '../src/bench/report.js';
import type { BenchReport } from '../src/bench/run.js';

describe('bench', () => {
  it('reads the rate from openssl speed output (1000s of bytes per second)', () => {
    const out = "The 'numbers' are in 1000s of bytes per second processed.\ntype          16384 bytes\nAES-256-XTS    6968950.78k\n";
    expect(parseSpeed(out)).toBeCloseTo(6968.95078, 4);
    expect(parseSpeed('garbage')).toBeUndefined();
  });

  it('prints ratios against node:crypto and the openssl reference', () => {
    const row = { mode: 'xts', keyBits: 256, unit: 4096, batch: 1 << 20 } as const;
    const report: BenchReport = {
      sectorcrypt: '0', node: '20', openssl: '3', seconds: 1,
      cpu: { model: 'test cpu', cores: 2, features: { aesni: true, vaes: false } },
      backend: { backend: 'native', kernel: 'aesni', cpu: {} },
      unit: 'MB/s (10^6 bytes per second), median of tinybench samples',
      rows: [
        { ...row, backend: 'native', kernel: 'aesni', encryptMBps: 3000, decryptMBps: 2000, vsNodeCrypto: { encrypt: 3, decrypt: 2 } },
        { ...row, backend: 'node:crypto', kernel: 'openssl', encryptMBps: 1000, decryptMBps: 1000, vsNodeCrypto: { encrypt: 1, decrypt: 1 } },
      ],
      scaling: [],
      opensslSpeed: [{ mode: 'xts', keyBits: 256, unit: 16384, direction: 'encrypt', mbps: 1500, version: 'OpenSSL 3' }],
    };
    const table = formatTable(report);
    expect(table).toContain('CPU: test cpu, 2 cores; aesni');
    expect(table).toMatch(/xts\s+256b\s+4 KiB\s+native\/aesni\s+3000 MB\/s\s+2000 MB\/s\s+3\.00x \/ 2\.00x/);
    expect(table).toMatch(/aes-256-xts encrypt\s+1500 MB\/s best 2\.00x/);
  });
});
