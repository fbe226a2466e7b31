/** A signed request verifies; changing any one byte of what is signed makes it fail (fast-check). */
import fc from 'fast-check';
import { expect, test } from 'vitest';
import { generateEd25519KeyPair, signRequest, verifyRequest } from '../../src/http-signature/index.js';

const NOW = new Date('2026-11-30T12:00:00Z');
const device = generateEd25519KeyPair();
const lookup = async (keyId: string) => (keyId === 'dev-1' ? device.publicKey : null);

/** `s` with the character at `at` replaced by another printable ASCII character. */
function changeChar(s: string, at: number, delta: number): string {
  const i = at % s.length;
  const c = s.charCodeAt(i);
  const next = 0x20 + ((c - 0x20 + 1 + (delta % 94)) % 95); // never c itself
  return s.slice(0, i) + String.fromCharCode(next) + s.slice(i + 1);
}

const request = fc.record({
  method: fc.constantFrom('GET', 'POST', 'PUT', 'DELETE'),
  path: fc.stringMatching(/^\/[a-z0-9/_-]{0,40}$/),
  body: fc.uint8Array({ minLength: 1, maxLength: 200 }),
  nonce: fc.stringMatching(/^[A-Za-z0-9_-]{1,32}$/),
  skew: fc.integer({ min: -300, max: 300 }),
});

test('a signed request verifies', async () => {
  await fc.assert(
    fc.asyncProperty(request, async (r) => {
      const url = `https://broker.example${r.path}`;
      const created = NOW.getTime() / 1000 + r.skew;
      const headers = signRequest({
        method: r.method,
        url,
        body: r.body,
        keyId: 'dev-1',
        secretKey: device.secretKey,
        created,
        nonce: r.nonce,
      });
      expect(await verifyRequest({ method: r.method, url, headers, body: r.body }, lookup, NOW)).toEqual({
        keyId: 'dev-1',
        nonce: r.nonce,
        created,
      });
    }),
    { numRuns: 100 },
  );
});

test('any changed byte of method, URL, body or signature headers fails with ERR_UNAUTHENTICATED', async () => {
  const target = fc.constantFrom('method', 'url', 'body', 'content-digest', 'signature-input', 'signature');
  await fc.assert(
    fc.asyncProperty(request, target, fc.nat(), fc.nat(), async (r, what, at, delta) => {
      const req: { method: string; url: string; body: Uint8Array } = {
        method: r.method,
        url: `https://broker.example${r.path}`,
        body: r.body,
      };
      const headers = signRequest({ ...req, keyId: 'dev-1', secretKey: device.secretKey, created: NOW.getTime() / 1000, nonce: r.nonce });
      if (what === 'method') req.method = changeChar(req.method, at, delta);
      else if (what === 'url') req.url = changeChar(req.url, at, delta);
      else if (what === 'body') {
        req.body = Uint8Array.from(req.body);
        req.body[at % req.body.length] ^= 1 + (delta % 255);
      } else headers[what] = changeChar(headers[what]!, at, delta);
      await expect(verifyRequest({ ...req, headers }, lookup, NOW)).rejects.toMatchObject({ code: 'ERR_UNAUTHENTICATED' });
    }),
    { numRuns: 500 },
  );
});
