/**
 * Interoperability with the `http-message-signatures` library (an independent RFC 9421
 * implementation): what one signs, the other verifies. The library checks the signature only;
 * our verifier also checks the digest, the covered set and the clock.
 */
import { httpbis } from 'http-message-signatures';
import { describe, expect, test } from 'vitest';
import { contentDigest, generateEd25519KeyPair, signRequest, verifyRequest } from '../../src/http-signature/index.js';
import { ed25519Sign, ed25519Verify } from '../../src/keys/ed25519.js';

const device = generateEd25519KeyPair();
const url = 'https://broker.example:8443/v1/agent/unwrap?x=1';
const body = new TextEncoder().encode('{"hello": "world"}');

describe('interop with http-message-signatures', () => {
  test('the library verifies our signature, and refuses it on another URL', async () => {
    const headers = signRequest({ method: 'POST', url, body, keyId: 'dev-1', secretKey: device.secretKey });
    const keyLookup = async () => ({
      id: 'dev-1',
      algs: ['ed25519'],
      verify: async (data: Buffer, sig: Buffer) => ed25519Verify(device.publicKey, data, sig),
    });
    const config = {
      keyLookup,
      requiredFields: ['@method', '@target-uri', 'content-digest'],
      requiredParams: ['created', 'nonce', 'keyid', 'alg'],
    };
    expect(await httpbis.verifyMessage(config, { method: 'POST', url, headers })).toBe(true);
    expect(await httpbis.verifyMessage(config, { method: 'POST', url: url.replace('x=1', 'x=2'), headers })).toBe(false);
  });

  test('we verify a signature made by the library', async () => {
    const created = new Date(Math.floor(Date.now() / 1000) * 1000);
    const signed = await httpbis.signMessage(
      {
        key: { id: 'dev-1', alg: 'ed25519', sign: async (data: Buffer) => Buffer.from(ed25519Sign(device.secretKey, data)) },
        name: 'sig1',
        fields: ['@method', '@target-uri', 'content-digest'],
        params: ['created', 'nonce', 'keyid', 'alg'],
        paramValues: { created, nonce: 'lib-nonce' },
      },
      { method: 'POST', url, headers: { 'content-digest': contentDigest(body) } },
    );
    const out = await verifyRequest({ method: 'POST', url, headers: signed.headers, body }, async () => device.publicKey, new Date());
    expect(out).toEqual({ keyId: 'dev-1', nonce: 'lib-nonce', created: created.getTime() / 1000 });
  });
});
