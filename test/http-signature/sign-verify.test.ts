import { describe, expect, test } from 'vitest';
import { generateEd25519KeyPair, signRequest, verifyRequest } from '../../src/http-signature/index.js';

const NOW = new Date('2026-11-30T12:00:00Z');
const CREATED = NOW.getTime() / 1000;
const device = generateEd25519KeyPair();
const lookup = async (keyId: string) => (keyId === 'dev-1' ? device.publicKey : null);
const body = new TextEncoder().encode('{"keyId":"k1","claims":{}}');
const URL_ = 'https://broker.example:8443/v1/agent/unwrap';

function signed(over: Partial<Parameters<typeof signRequest>[0]> = {}) {
  return signRequest({
    method: 'POST',
    url: URL_,
    body,
    keyId: 'dev-1',
    secretKey: device.secretKey,
    created: CREATED,
    nonce: 'n-1',
    ...over,
  });
}

async function refusal(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    expect((e as { code: string }).code).toBe('ERR_UNAUTHENTICATED');
    return (e as Error).message;
  }
  throw new Error('verified');
}

describe('signRequest / verifyRequest', () => {
  test('the headers have the RFC 9421 shape, and verify', async () => {
    const h = signed();
    expect(h['signature-input']).toBe(
      `sig1=("@method" "@target-uri" "content-digest");created=${CREATED};nonce="n-1";keyid="dev-1";alg="ed25519"`,
    );
    expect(h.signature).toMatch(/^sig1=:[A-Za-z0-9+/]{86}==:$/);
    expect(h['content-digest']).toMatch(/^sha-256=:[A-Za-z0-9+/]{43}=:$/);
    expect(await verifyRequest({ method: 'POST', url: URL_, headers: h, body }, lookup, NOW)).toEqual({
      keyId: 'dev-1',
      nonce: 'n-1',
      created: CREATED,
    });
  });

  test('header names are case-insensitive; a default nonce is fresh each time', async () => {
    const h = signRequest({ method: 'GET', url: URL_, body: new Uint8Array(0), keyId: 'dev-1', secretKey: device.secretKey });
    const upper = Object.fromEntries(Object.entries(h).map(([k, v]) => [k.toUpperCase(), v]));
    const out = await verifyRequest({ method: 'GET', url: URL_, headers: upper, body: new Uint8Array(0) }, lookup, new Date());
    expect(out.nonce).toMatch(/^[A-Za-z0-9_-]{22}$/);
    const again = signRequest({ method: 'GET', url: URL_, body: new Uint8Array(0), keyId: 'dev-1', secretKey: device.secretKey });
    expect(again['signature-input']).not.toBe(h['signature-input']);
  });

  test('clock skew: 300 s either way is accepted, 301 s refused', async () => {
    for (const delta of [-300, 300]) {
      await expect(
        verifyRequest({ method: 'POST', url: URL_, headers: signed({ created: CREATED + delta }), body }, lookup, NOW),
      ).resolves.toBeDefined();
    }
    for (const delta of [-301, 301]) {
      expect(
        await refusal(verifyRequest({ method: 'POST', url: URL_, headers: signed({ created: CREATED + delta }), body }, lookup, NOW)),
      ).toMatch(/300 s/);
    }
    expect(
      await refusal(verifyRequest({ method: 'POST', url: URL_, headers: signed({ created: CREATED - 61 }), body }, lookup, NOW, 60)),
    ).toMatch(/60 s/);
  });

  const cases: [string, (h: Record<string, string>) => Record<string, string | undefined>, RegExp][] = [
    ['no signature', (h) => ({ ...h, signature: undefined }), /no signature/],
    ['no signature-input', (h) => ({ ...h, 'signature-input': undefined }), /no signature/],
    ['no content-digest', (h) => ({ ...h, 'content-digest': undefined }), /content-digest/],
    ['another label', (h) => ({ ...h, signature: h.signature!.replace('sig1', 'sig2') }), /labelled sig1/],
    ['malformed signature', (h) => ({ ...h, signature: 'sig1=:not base64' }), /malformed/],
    ['short signature', (h) => ({ ...h, signature: 'sig1=:AAAA:' }), /64-byte/],
    ['non-canonical spacing', (h) => ({ ...h, 'signature-input': h['signature-input']!.replace('" "', '"  "') }), /canonical/],
    ['fewer components', (h) => ({ ...h, 'signature-input': h['signature-input']!.replace(' "content-digest"', '') }), /exactly/],
    [
      'a duplicated component',
      (h) => ({ ...h, 'signature-input': h['signature-input']!.replace('"content-digest"', '"@method"') }),
      /exactly/,
    ],
    ['a component parameter', (h) => ({ ...h, 'signature-input': h['signature-input']!.replace('"@method"', '"@method";req') }), /exactly/],
    ['no created', (h) => ({ ...h, 'signature-input': h['signature-input']!.replace(/;created=\d+/, '') }), /created/],
    ['no nonce', (h) => ({ ...h, 'signature-input': h['signature-input']!.replace(';nonce="n-1"', '') }), /nonce/],
    ['no keyid', (h) => ({ ...h, 'signature-input': h['signature-input']!.replace(';keyid="dev-1"', '') }), /keyid/],
    ['another alg', (h) => ({ ...h, 'signature-input': h['signature-input']!.replace('"ed25519"', '"hmac-sha256"') }), /alg/],
    ['an unknown key', (h) => ({ ...h, 'signature-input': h['signature-input']!.replace('dev-1', 'dev-2') }), /unknown key/],
    ['a changed nonce', (h) => ({ ...h, 'signature-input': h['signature-input']!.replace('n-1', 'n-2') }), /bad signature/],
    ['an expired signature', (h) => ({ ...h, 'signature-input': `${h['signature-input']};expires=${CREATED - 1}` }), /expired/],
    [
      'another body digest',
      (h) => ({ ...h, 'content-digest': 'sha-256=:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=:' }),
      /does not match/,
    ],
  ];
  test.each(cases)('refuses %s', async (_, change, why) => {
    const headers = change(signed());
    expect(await refusal(verifyRequest({ method: 'POST', url: URL_, headers, body }, lookup, NOW))).toMatch(why);
  });

  test('refuses another method, URL or body, and another device key', async () => {
    const h = signed();
    await refusal(verifyRequest({ method: 'PUT', url: URL_, headers: h, body }, lookup, NOW));
    await refusal(verifyRequest({ method: 'POST', url: `${URL_}?x=1`, headers: h, body }, lookup, NOW));
    await refusal(verifyRequest({ method: 'POST', url: URL_, headers: h, body: new Uint8Array(0) }, lookup, NOW));
    const other = generateEd25519KeyPair();
    await refusal(verifyRequest({ method: 'POST', url: URL_, headers: h, body }, async () => other.publicKey, NOW));
  });

  test('signing refuses a line break in the URL and a non-ASCII key id', () => {
    expect(() => signed({ url: 'https://x/\n' })).toThrow(/ERR_ARGUMENT/);
    expect(() => signed({ keyId: 'dév' })).toThrow(/ERR_ARGUMENT/);
    expect(() => signed({ secretKey: new Uint8Array(31) })).toThrow();
  });
});
