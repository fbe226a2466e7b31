/**
 * The header grammar (envelope.md "Layout"): canonical base64, line shapes, and limits that
 * a hostile header meets early, with bounded memory: a million stanzas, a 2 GiB line.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, rmSync, writeSync, ftruncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeBase64, encodeBase64 } from '../../src/envelope/base64.js';
import { HeaderScanner, parseHeader } from '../../src/envelope/header.js';
import { SectorCryptError, createEnvelopeDecryptStream, decryptEnvelope, encryptEnvelope, inspectEnvelope } from '../../src/index.js';
import { ascii, craft, encodeStanza, header, text } from './craft.js';
import { alice, kek, throughStream } from './helpers.js';

const dir = mkdtempSync(path.join(tmpdir(), 'sectorcrypt-header-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const VERSION = 'sectorcrypt-envelope/v1\n';
const MAC = `--- ${'A'.repeat(43)}\n`;

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    return (err as SectorCryptError).code;
  }
  return 'no error';
}

describe('canonical base64', () => {
  it('round-trips every length and refuses padding, other alphabets, stray bits, whitespace', () => {
    for (let n = 0; n < 100; n++) {
      const bytes = randomBytes(n);
      expect(Buffer.from(decodeBase64(encodeBase64(bytes), 'x')).equals(bytes)).toBe(true);
    }
    for (const bad of ['AA==', 'AAA=', 'AB', 'AAB', 'A', '-_8', 'AA A', 'AA\n', 'ÿÿÿÿ']) {
      expect(codeOf(() => decodeBase64(bad, 'x'))).toBe('ERR_CORRUPT_HEADER');
    }
  });

  it('body lines: 64 characters each, the last shorter (empty for a multiple of 48 bytes)', () => {
    expect(text(encodeStanza('t', [], new Uint8Array(48)))).toBe(`-> t\n${'A'.repeat(64)}\n\n`);
    expect(text(encodeStanza('t', ['a', 'b'], new Uint8Array(0)))).toBe('-> t a b\n\n');
    expect(text(encodeStanza('t', [], new Uint8Array(50)))).toBe(`-> t\n${'A'.repeat(64)}\nAAA\n`);
    const fileKey = randomBytes(32);
    const good = craft(fileKey, [encodeStanza('t', [], new Uint8Array(48))]);
    expect(parseHeader(good).stanzas[0].body).toEqual(new Uint8Array(48));
    // The same body split another way, or padded, or with stray bits, is refused.
    const variants = [
      `${VERSION}-> t\n${'A'.repeat(64)}\n${MAC}`, // no final short line
      `${VERSION}-> t\n${'A'.repeat(60)}\nAAAA\n\n${MAC}`, // a short line before the end
      `${VERSION}-> t\n${'A'.repeat(65)}\n\n${MAC}`,
      `${VERSION}-> t\nAB==\n${MAC}`,
      `${VERSION}-> t\nAB\n${MAC}`,
      `${VERSION}-> t\nA-_A\n${MAC}`,
    ];
    for (const v of variants) expect(codeOf(() => parseHeader(ascii(v)))).toBe('ERR_CORRUPT_HEADER');
  });
});

describe('line shapes', () => {
  const bad = {
    'another version': `sectorcrypt-envelope/v2\n-> t\n\n${MAC}`,
    'no stanza': `${VERSION}${MAC}`,
    'a stanza line with two spaces': `${VERSION}-> t  a\n\n${MAC}`,
    'a stanza line ending in a space': `${VERSION}-> t \n\n${MAC}`,
    'an empty type': `${VERSION}-> \n\n${MAC}`,
    'a type of 65 characters': `${VERSION}-> ${'t'.repeat(65)}\n\n${MAC}`,
    'an argument of 2049 characters': `${VERSION}-> t ${'a'.repeat(2049)}\n\n${MAC}`,
    'nine arguments': `${VERSION}-> t${' a'.repeat(9)}\n\n${MAC}`,
    'a control character in an argument': `${VERSION}-> t a\tb\n\n${MAC}`,
    'a MAC of 31 bytes': `${VERSION}-> t\n\n--- ${'A'.repeat(42)}\n`,
    'a MAC with stray bits': `${VERSION}-> t\n\n--- ${'A'.repeat(42)}B\n`,
    'a MAC line without its space': `${VERSION}-> t\n\n---${'A'.repeat(43)}\n`,
    'CRLF line ends': `${VERSION.replace('\n', '\r\n')}-> t\r\n\r\n${MAC}`,
    'an unknown line': `${VERSION}hello\n-> t\n\n${MAC}`,
    'ends before the mac line': `${VERSION}-> t\n\n`,
  };
  for (const [name, header] of Object.entries(bad)) {
    it(`refuses ${name} (ERR_CORRUPT_HEADER)`, () => {
      expect(codeOf(() => parseHeader(ascii(header)))).toBe('ERR_CORRUPT_HEADER');
    });
  }

  it('accepts the largest legal stanza line, and keeps each stanza byte for byte', () => {
    const args = Array.from({ length: 8 }, (_, i) => String(i).repeat(2048));
    const stanza = encodeStanza('t'.repeat(64), args, randomBytes(100));
    const parsed = parseHeader(header(randomBytes(32), [stanza, stanza]));
    expect(parsed.stanzas).toHaveLength(2);
    expect(parsed.stanzas[1].raw).toEqual(stanza);
    expect(parsed.stanzas[0].args).toEqual(args);
  });
});

describe('limits, met early with bounded memory', () => {
  it('256 stanzas are fine; 257 are refused', () => {
    const fileKey = randomBytes(32);
    const s = encodeStanza('t', [], new Uint8Array(0));
    expect(parseHeader(header(fileKey, Array(256).fill(s))).stanzas).toHaveLength(256);
    expect(codeOf(() => parseHeader(ascii(VERSION + '-> t\n\n'.repeat(257) + MAC)))).toBe('ERR_CORRUPT_HEADER');
  });

  it('a header over 1 MiB is refused', () => {
    const big = `-> t ${Array(8).fill('a'.repeat(2048)).join(' ')}\n\n`;
    expect(codeOf(() => parseHeader(ascii(VERSION + big.repeat(70) + MAC)))).toBe('ERR_CORRUPT_HEADER');
  });

  /** An input stream that counts how much of itself was pulled. */
  function counted(pieces: () => Generator<Uint8Array>) {
    const state = { pulled: 0 };
    const gen = function* () {
      for (const p of pieces()) {
        state.pulled += p.length;
        yield p;
      }
    };
    return { state, gen };
  }

  it('a million stanzas: the stream decoder stops after 256, having read a few KiB', async () => {
    const { state, gen } = counted(function* () {
      yield ascii(VERSION);
      const thousand = ascii('-> X25519 AAAA\n\n'.repeat(1000));
      for (let i = 0; i < 1000; i++) yield thousand;
    });
    const result = await throughStream(createEnvelopeDecryptStream({ identities: [alice.secretKey] }), gen());
    expect((result.error as SectorCryptError).code).toBe('ERR_CORRUPT_HEADER');
    expect(result.output.length).toBe(0);
    expect(state.pulled).toBeLessThan(200_000);
    // And in memory: 16 MB of stanzas, refused at the 257th.
    const scanner = new HeaderScanner();
    expect(codeOf(() => scanner.push(ascii(VERSION + '-> X25519 AAAA\n\n'.repeat(1_000_000))))).toBe('ERR_CORRUPT_HEADER');
  });

  it('a 2 GiB line: refused after its first 16 KiB, from a stream and from a (sparse) file', async () => {
    const { state, gen } = counted(function* () {
      yield ascii(`${VERSION}-> X25519 `);
      const piece = new Uint8Array(65536).fill(0x41);
      for (let i = 0; i < 32768; i++) yield piece; // 2 GiB, never held at once
    });
    const result = await throughStream(createEnvelopeDecryptStream({ identities: [alice.secretKey] }), gen());
    expect((result.error as SectorCryptError).code).toBe('ERR_CORRUPT_HEADER');
    expect(state.pulled).toBeLessThan(1024 * 1024);
    const file = path.join(dir, 'long-line');
    const fd = openSync(file, 'w');
    writeSync(fd, ascii(`${VERSION}-> X25519 `));
    ftruncateSync(fd, 2 * 1024 ** 3);
    closeSync(fd);
    await expect(inspectEnvelope(file)).rejects.toThrow(/ERR_CORRUPT_HEADER/);
  });

  it('bad base64 in a body reached through the stream is ERR_CORRUPT_HEADER and emits nothing', async () => {
    const env = await encryptEnvelope(new Uint8Array(100), { recipients: [{ kek, keyId: 'k' }] });
    const t = text(env);
    const bodyStart = t.indexOf('\n', t.indexOf('-> aes256-kw')) + 1;
    const bad = env.slice();
    bad[bodyStart + 3] = 0x2d; // "-": not in the standard alphabet
    const result = await throughStream(createEnvelopeDecryptStream({ identities: [{ kek }] }), bad, 3);
    expect((result.error as SectorCryptError).code).toBe('ERR_CORRUPT_HEADER');
    expect(result.output.length).toBe(0);
    await expect(decryptEnvelope(bad, { identities: [{ kek }] })).rejects.toThrow(/ERR_CORRUPT_HEADER/);
  });
});
