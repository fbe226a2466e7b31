/**
 * The console bundles src/audit and the policy validator with `.browser.ts` twins in place
 * of the modules that use node:crypto and node:net (scripts/build-console.mjs). Each twin
 * must answer exactly as the module it stands in for.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { isIP as nodeIsIP } from 'node:net';
import * as nodeHash from '../../src/audit/hash.js';
import * as browserHash from '../../src/audit/hash.browser.js';
import * as nodeEd from '../../src/keys/ed25519.js';
import * as browserEd from '../../src/keys/ed25519.browser.js';
import { isIP as browserIsIP } from '../../src/broker/policy/net.browser.js';
import { fromBase64, toBase64, toHex } from '../../src/audit/base64.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

describe('browser twins', () => {
  it('hash.browser.ts gives the RFC 9162 hashes of hash.ts', () => {
    expect(hex(browserHash.EMPTY_ROOT)).toBe(hex(nodeHash.EMPTY_ROOT));
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.string(), (data, other, text) => {
        expect(hex(browserHash.leafHash(data))).toBe(hex(nodeHash.leafHash(data)));
        expect(hex(browserHash.leafHash(text))).toBe(hex(nodeHash.leafHash(text)));
        expect(hex(browserHash.nodeHash(other, data))).toBe(hex(nodeHash.nodeHash(other, data)));
        expect(hex(browserHash.sha256(text, data))).toBe(hex(nodeHash.sha256(text, data)));
      }),
      { numRuns: 200 },
    );
  });

  it('ed25519.browser.ts signs and verifies as ed25519.ts does', () => {
    const { secretKey, publicKey } = nodeEd.generateEd25519KeyPair();
    const message = new TextEncoder().encode('checkpoint\n42\nroot\n');
    expect(hex(browserEd.ed25519PublicKey(secretKey))).toBe(hex(publicKey));
    const sig = nodeEd.ed25519Sign(secretKey, message);
    expect(hex(browserEd.ed25519Sign(secretKey, message))).toBe(hex(sig)); // Ed25519 is deterministic
    expect(browserEd.ed25519Verify(publicKey, message, sig)).toBe(true);
    const bad = sig.slice();
    bad[10]! ^= 1;
    expect(browserEd.ed25519Verify(publicKey, message, bad)).toBe(false);
    expect(nodeEd.ed25519Verify(publicKey, message, bad)).toBe(false);
    expect(browserEd.ed25519Verify(publicKey.subarray(1), message, sig)).toBe(false);
    // A non-canonical S (S + L) is refused by both (RFC 8032 section 5.1.7).
    const L = [
      0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
      0, 0, 0x10,
    ];
    const high = sig.slice();
    let carry = 0;
    for (let i = 0; i < 32; i++) {
      const v = high[32 + i]! + L[i]! + carry;
      high[32 + i] = v & 0xff;
      carry = v >> 8;
    }
    expect(nodeEd.ed25519Verify(publicKey, message, high)).toBe(false);
    expect(browserEd.ed25519Verify(publicKey, message, high)).toBe(false);
  });

  it('net.browser.ts isIP agrees with node:net on what parseCidr passes it', () => {
    const samples = [
      '::',
      '1::',
      '::1',
      '1:2:3:4:5:6:7:8',
      '1:2:3:4:5:6:7::',
      '1:2:3:4:5:6::7:8',
      '::ffff:1.2.3.4',
      '1:2:3:4:5:6:1.2.3.4',
      '1:2:3:4:5:6:7:1.2.3.4',
      ':1',
      '1:',
      '1::2::3',
      '01.1.1.1',
      '1.1.1',
      '255.255.255.255',
      '256.1.1.1',
      '::1.2.3.4',
      '1::1.2.3.4',
      'fe80::1',
      '12345::',
      'a:b:c:d:e:f:a:b',
      ':::',
      '1.2.3.4.',
    ];
    for (const s of samples) expect(browserIsIP(s), s).toBe(nodeIsIP(s));
    const piece = fc.oneof(
      fc.constantFrom('', ':', '::', '.', '0', '1', '255', '256', '01', 'ffff', 'abcd', '12345', 'g'),
      fc.integer({ min: 0, max: 300 }).map(String),
    );
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 12 }), (parts) => {
        const s = parts.join('');
        expect(browserIsIP(s), s).toBe(nodeIsIP(s));
      }),
      { numRuns: 3000 },
    );
  });

  it('base64.ts without Buffer (atob/btoa, as in the browser) matches itself with Buffer', async () => {
    const g = globalThis as { Buffer?: unknown };
    const saved = g.Buffer;
    g.Buffer = undefined;
    let bare: typeof import('../../src/audit/base64.js');
    try {
      bare = await import('../../src/audit/base64.js?without-buffer' as string);
    } finally {
      g.Buffer = saved;
    }
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100 }), (bytes) => {
        const text = toBase64(bytes);
        expect(bare.toBase64(bytes)).toBe(text);
        expect(hex(bare.fromBase64(text, 'x'))).toBe(hex(bytes));
        expect(hex(fromBase64(text, 'x'))).toBe(hex(bytes));
        expect(bare.toHex(bytes)).toBe(hex(bytes));
        expect(toHex(bytes)).toBe(hex(bytes));
      }),
    );
    expect(() => bare.fromBase64('YQ', 'x')).toThrow(/standard base64/);
  });
});
