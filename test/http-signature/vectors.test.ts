import { readFileSync } from 'node:fs';
import { createPublicKey } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import { parseDictionary } from 'structured-headers';
import { contentDigest, contentDigestMatches, signatureBase, signatureParams } from '../../src/http-signature/index.js';
import { ed25519PublicKey, ed25519Sign, ed25519Verify } from '../../src/keys/ed25519.js';

const vectors = JSON.parse(readFileSync(new URL('../vectors/http-signature/rfc9421-rfc9530.json', import.meta.url), 'utf8'));

describe('RFC 9421 Appendix B.2.6 (ed25519)', () => {
  const v = vectors.rfc9421_B_2_6;
  const pkcs8 = Buffer.from(v.privateKeyPkcs8Base64, 'base64');
  const seed = new Uint8Array(pkcs8.subarray(16)); // the 32-byte seed ends the PKCS #8 DER
  const spki = Buffer.from(v.publicKeySpkiBase64, 'base64');
  const publicKey = new Uint8Array(spki.subarray(12));

  test('the signature parameters and the signature base are rebuilt byte for byte', () => {
    const params = signatureParams(
      v.components.map((c: string[]) => c[0]),
      Object.entries(v.params),
    );
    expect(`sig-b26=${params}`).toBe(v.signatureInput);
    expect(signatureBase(v.components, params)).toBe(v.signatureBase);
  });

  test('the RFC signature is reproduced with the RFC key, and verifies', () => {
    expect(ed25519PublicKey(seed)).toEqual(publicKey);
    expect(createPublicKey({ key: spki, format: 'der', type: 'spki' }).asymmetricKeyType).toBe('ed25519');
    const expected = new Uint8Array(parseDictionary(v.signature).get('sig-b26')![0] as ArrayBuffer);
    const message = new TextEncoder().encode(v.signatureBase);
    expect(ed25519Sign(seed, message)).toEqual(expected);
    expect(ed25519Verify(publicKey, message, expected)).toBe(true);
    message[0] ^= 1;
    expect(ed25519Verify(publicKey, message, expected)).toBe(false);
  });

  test('a component value with a line break has no signature base', () => {
    expect(signatureBase([['@method', 'PO\nST']], '()')).toBeNull();
  });
});

describe('RFC 9530 content digests', () => {
  test.each(vectors.rfc9530 as { source: string; body: string; contentDigest: string }[])(
    '$source',
    ({ body, contentDigest: expected }) => {
      const bytes = new TextEncoder().encode(body);
      expect(contentDigest(bytes)).toBe(expected);
      expect(contentDigestMatches(expected, bytes)).toBe(true);
      expect(contentDigestMatches(expected, new TextEncoder().encode(body + ' '))).toBe(false);
    },
  );

  test('sha-256 is required; other algorithms are ignored; malformed fields never match', () => {
    const body = new TextEncoder().encode('{"hello": "world"}\n');
    const good = contentDigest(body);
    expect(contentDigestMatches(`sha-512=:AAAA:, ${good}`, body)).toBe(true);
    expect(contentDigestMatches('sha-512=:AAAA:', body)).toBe(false);
    expect(contentDigestMatches('sha-256="RK/0qy18MlBSVnWgjwz6lZEWjP/lF5HF9bvEF8FabDg="', body)).toBe(false);
    expect(contentDigestMatches('sha-256=:RK/0qy18:', body)).toBe(false);
    expect(contentDigestMatches('not a dictionary ((', body)).toBe(false);
  });
});
