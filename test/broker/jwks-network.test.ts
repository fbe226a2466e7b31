/**
 * The key set fetch checks every address a jwksUri's name resolves to, when it fetches, and
 * connects to the address it checked (src/broker/attest/jwks-remote.ts): a name that resolves to
 * loopback, or to a public address and a private one, is refused without a connection; with
 * the issuer's allowance the connection goes to the address the lookup returned. The names
 * here resolve through a stand-in for DNS, as a rebinding attacker's server would answer.
 */
import { describe, expect, it } from 'vitest';
import { createServer } from 'node:https';
import type { LookupAddress } from 'node:dns';
import { exportJWK, generateKeyPair, jwtVerify, SignJWT } from 'jose';
import { makePki } from '../../src/broker/data-dir/tls.js';
import { checkJwksUri, checkedLookup, JwksFetchError, remoteJwks, type Resolve } from '../../src/broker/attest/jwks-remote.js';
import { specialRange } from '../../src/broker/attest/network-ranges.js';

function dns(answers: Record<string, string[]>): Resolve & { asked: string[] } {
  const asked: string[] = [];
  const resolve = ((hostname: string, _o: unknown, cb: (err: NodeJS.ErrnoException | null, a: LookupAddress[]) => void) => {
    asked.push(hostname);
    const list = answers[hostname];
    if (!list) return cb(Object.assign(new Error('not found'), { code: 'ENOTFOUND' }), []);
    cb(
      null,
      list.map((address) => ({ address, family: address.includes(':') ? 6 : 4 })),
    );
  }) as Resolve & { asked: string[] };
  resolve.asked = asked;
  return resolve;
}

describe('jwksUri addresses', () => {
  it('classifies special ranges, IPv4 embedded in IPv6 included, and leaves public addresses alone', () => {
    for (const a of [
      '127.0.0.1',
      '127.8.9.10',
      '::1',
      '10.2.3.4',
      '172.16.0.1',
      '172.31.255.255',
      '192.168.0.1',
      '169.254.169.254',
      'fe80::1',
      'fc00::1',
      'fd00::1',
      '0.0.0.0',
      '::',
      '100.64.0.1',
      '100.127.255.255',
      '::ffff:127.0.0.1',
      '::ffff:10.0.0.1',
      '64:ff9b::169.254.169.254',
      '2002:7f00:1::1',
      '224.0.0.1',
      '255.255.255.255',
    ]) {
      expect(specialRange(a), a).toBeDefined();
    }
    for (const a of ['8.8.8.8', '1.1.1.1', '172.32.0.1', '100.128.0.1', '2606:4700:4700::1111', '::ffff:8.8.8.8', '93.184.216.34']) {
      expect(specialRange(a), a).toBeUndefined();
    }
  });

  it('the lookup refuses a name when any address it resolves to is special, and hands the connection only checked addresses', async () => {
    const resolve = dns({
      'rebind.example': ['127.0.0.1'],
      'mixed.example': ['93.184.216.34', '10.0.0.7'],
      'public.example': ['93.184.216.34'],
      'v6.example': ['::ffff:169.254.169.254'],
    });
    const run = (allow: boolean, host: string, all: boolean) =>
      new Promise<{ err: (Error & { code?: string }) | null; result: unknown }>((done) => {
        checkedLookup(allow, () => {}, resolve)(host, { all }, ((err: Error | null, result: unknown) => done({ err, result })) as never);
      });
    for (const host of ['rebind.example', 'mixed.example', 'v6.example']) {
      for (const all of [false, true]) {
        const { err } = await run(false, host, all);
        expect(err?.code, host).toBe('ERR_JWKS_ADDRESS_REFUSED');
      }
    }
    expect((await run(false, 'public.example', false)).result).toBe('93.184.216.34');
    expect((await run(false, 'public.example', true)).result).toEqual([{ address: '93.184.216.34', family: 4 }]);
    expect((await run(true, 'rebind.example', false)).result).toBe('127.0.0.1');
  });

  it('refuses, at fetch time, a key set whose name resolves to loopback; with the allowance it fetches from the address the lookup checked', async () => {
    const pki = await makePki(['rebind.example']);
    const signer = await generateKeyPair('ES256', { extractable: true });
    const jwk = { ...(await exportJWK(signer.publicKey)), kid: 'r1', alg: 'ES256' };
    let fetches = 0;
    const server = createServer({ key: pki.serverKeyPem, cert: pki.serverPem }, (_req, res) => {
      fetches++;
      res.end(JSON.stringify({ keys: [jwk] }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const uri = `https://rebind.example:${(server.address() as { port: number }).port}/jwks.json`;
    const jwt = await new SignJWT({})
      .setProtectedHeader({ alg: 'ES256', kid: 'r1' })
      .setIssuer('https://rebind.example')
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(signer.privateKey);
    try {
      // The name passes the check at save: only its addresses give it away.
      expect(checkJwksUri(uri).hostname).toBe('rebind.example');
      const resolve = dns({ 'rebind.example': ['127.0.0.1'] });
      const refused = await jwtVerify(jwt, remoteJwks(uri, { ca: pki.caPem, resolve })).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(refused).toBeInstanceOf(JwksFetchError);
      expect((refused as JwksFetchError).detail).toEqual({ code: 'ERR_JWKS_ADDRESS_REFUSED', addresses: ['127.0.0.1'] });
      expect((refused as Error).message).toBe("the attestation token's issuer key set could not be fetched");
      expect(fetches).toBe(0);
      expect(resolve.asked).toEqual(['rebind.example']);

      const allowed = await jwtVerify(jwt, remoteJwks(uri, { ca: pki.caPem, resolve, allowPrivateNetwork: true }));
      expect(allowed.protectedHeader.kid).toBe('r1');
      expect(fetches).toBe(1);
    } finally {
      await new Promise((r) => server.close(r));
    }
  });
});
