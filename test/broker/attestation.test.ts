import { describe, expect, test } from 'vitest';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWTPayload } from 'jose';
import { verifyAttestations, type TrustedIssuer } from '../../src/broker/attest/jwt.js';
import { lookupClaim } from '../../src/broker/policy/index.js';

const NOW = new Date('2026-11-30T12:00:00Z');
const NOW_S = NOW.getTime() / 1000;

async function issuerKeys(alg: 'RS256' | 'ES256', kid: string) {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  return { privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' } };
}

const gce = await issuerKeys('RS256', 'gce-1');
const k8s = await issuerKeys('ES256', 'k8s-1');
const impostor = await issuerKeys('RS256', 'gce-1'); // same kid, another key

const ISSUERS: TrustedIssuer[] = [
  { name: 'gce', issuer: 'https://accounts.google.com', audience: 'https://broker.example', jwks: { keys: [gce.jwk] } },
  { name: 'k8s', issuer: 'https://kubernetes.default.svc', jwks: { keys: [k8s.jwk] } },
];

function token(key: CryptoKey, alg: string, kid: string, claims: JWTPayload, opts: { exp?: number | null; nbf?: number } = {}) {
  let t = new SignJWT(claims).setProtectedHeader({ alg, kid, typ: 'JWT' }).setIssuedAt(NOW_S - 10);
  if (opts.exp !== null) t = t.setExpirationTime(opts.exp ?? NOW_S + 3600);
  if (opts.nbf !== undefined) t = t.setNotBefore(opts.nbf);
  return t.sign(key);
}
const gceClaims = {
  iss: 'https://accounts.google.com',
  aud: 'https://broker.example',
  google: { compute_engine: { instance_id: '4242', zone: 'europe-west1-b' } },
};
const k8sClaims = { iss: 'https://kubernetes.default.svc', sub: 'system:serviceaccount:db:agent', 'kubernetes.io': { namespace: 'db' } };

async function refusal(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    expect((e as { code: string }).code).toBe('ERR_UNAUTHENTICATED');
    return (e as Error).message;
  }
  throw new Error('accepted');
}

describe('verifyAttestations', () => {
  test('RS256 and ES256 tokens verify; claims come back by issuer name and resolve in policies', async () => {
    const out = await verifyAttestations(
      [await token(gce.privateKey, 'RS256', 'gce-1', gceClaims), await token(k8s.privateKey, 'ES256', 'k8s-1', k8sClaims)],
      ISSUERS,
      NOW,
    );
    expect(Object.keys(out).sort()).toEqual(['gce', 'k8s']);
    expect(out.gce!.google).toEqual(gceClaims.google);
    const claims = { attested: out };
    expect(lookupClaim(claims, 'attested.gce.google.compute_engine.instance_id')).toBe('4242');
    expect(lookupClaim(claims, 'attested.k8s.kubernetes.io.namespace')).toBe('db');
  });

  test('no tokens: no attested claims', async () => {
    expect(await verifyAttestations([], ISSUERS, NOW)).toEqual({});
  });

  test('an untrusted issuer is refused', async () => {
    const t = await token(gce.privateKey, 'RS256', 'gce-1', { ...gceClaims, iss: 'https://evil.example' });
    expect(await refusal(verifyAttestations([t], ISSUERS, NOW))).toMatch(/untrusted issuer/);
  });

  test('a token signed by another key under the same kid is refused', async () => {
    const t = await token(impostor.privateKey, 'RS256', 'gce-1', gceClaims);
    expect(await refusal(verifyAttestations([t], ISSUERS, NOW))).toMatch(/does not verify/);
  });

  test('a tampered payload is refused', async () => {
    const [h, , s] = (await token(gce.privateKey, 'RS256', 'gce-1', gceClaims)).split('.');
    const forged = Buffer.from(
      JSON.stringify({ ...gceClaims, google: { compute_engine: { instance_id: '1' } }, exp: NOW_S + 60 }),
    ).toString('base64url');
    await refusal(verifyAttestations([`${h}.${forged}.${s}`], ISSUERS, NOW));
  });

  test('expiry, with 60 s of tolerance; not-before; a token without exp', async () => {
    const at = (exp: number) => token(gce.privateKey, 'RS256', 'gce-1', gceClaims, { exp });
    await expect(verifyAttestations([await at(NOW_S - 30)], ISSUERS, NOW)).resolves.toHaveProperty('gce');
    expect(await refusal(verifyAttestations([await at(NOW_S - 120)], ISSUERS, NOW))).toMatch(/expired/);
    const early = await token(gce.privateKey, 'RS256', 'gce-1', gceClaims, { nbf: NOW_S + 600 });
    await refusal(verifyAttestations([early], ISSUERS, NOW));
    const forever = await token(gce.privateKey, 'RS256', 'gce-1', gceClaims, { exp: null });
    await refusal(verifyAttestations([forever], ISSUERS, NOW));
  });

  test('a wrong audience is refused when the issuer names one', async () => {
    const t = await token(gce.privateKey, 'RS256', 'gce-1', { ...gceClaims, aud: 'https://other.example' });
    await refusal(verifyAttestations([t], ISSUERS, NOW));
  });

  test('a shared-secret token is refused even if the JWKS held the secret', async () => {
    const secret = new Uint8Array(32).fill(7);
    const t = await new SignJWT(k8sClaims)
      .setProtectedHeader({ alg: 'HS256', kid: 'k8s-1' })
      .setExpirationTime(NOW_S + 60)
      .sign(secret);
    const withOct: TrustedIssuer[] = [
      { ...ISSUERS[1]!, jwks: { keys: [{ kty: 'oct', k: Buffer.from(secret).toString('base64url'), kid: 'k8s-1' }] } },
    ];
    await refusal(verifyAttestations([t], withOct, NOW));
  });

  test('garbage, two tokens of one issuer, and too many tokens are refused', async () => {
    expect(await refusal(verifyAttestations(['not.a.jwt'], ISSUERS, NOW))).toMatch(/not a JWT/);
    const t = await token(k8s.privateKey, 'ES256', 'k8s-1', k8sClaims);
    expect(await refusal(verifyAttestations([t, t], ISSUERS, NOW))).toMatch(/two tokens/);
    expect(await refusal(verifyAttestations(Array(17).fill(t), ISSUERS, NOW))).toMatch(/more than 16/);
  });
});

describe('an issuer whose JWKS the broker fetches (jwksUri)', () => {
  test('over HTTPS with the issuer CA given, cached; without that CA, or over http, refused', async () => {
    const { createServer } = await import('node:https');
    const { makePki } = await import('../../src/broker/data-dir/tls.js');
    const { checkJwksUri } = await import('../../src/broker/attest/jwks-remote.js');
    const pki = await makePki([]);
    let fetches = 0;
    const server = createServer({ key: pki.serverKeyPem, cert: pki.serverPem }, (req, res) => {
      fetches++;
      res.writeHead(req.url === '/jwks.json' ? 200 : 404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ keys: [gce.jwk] }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const jwksUri = `https://127.0.0.1:${(server.address() as { port: number }).port}/jwks.json`;
    try {
      // The test's server is on loopback: the issuer allows it (src/broker/attest/jwks-remote.ts).
      const remote: TrustedIssuer = {
        name: 'gce',
        issuer: 'https://accounts.google.com',
        audience: 'https://broker.example',
        jwksUri,
        jwksCa: pki.caPem,
        allowPrivateNetwork: true,
      };
      const jwt = await token(gce.privateKey, 'RS256', 'gce-1', gceClaims);
      const out = await verifyAttestations([jwt], [remote], NOW);
      expect(lookupClaim({ attested: out }, 'attested.gce.google.compute_engine.instance_id')).toBe('4242');
      await verifyAttestations([jwt], [remote], NOW);
      expect(fetches).toBe(1); // the key set is cached
      // Another key under the same kid is still refused (the fetched keys are the trusted ones).
      expect(await refusal(verifyAttestations([await token(impostor.privateKey, 'RS256', 'gce-1', gceClaims)], [remote], NOW))).toMatch(
        /does not verify/,
      );
      // Without the issuer's CA, Node's trust store does not know this server.
      // (Key sets that cannot be fetched get one message, whatever the network said: jwks-network.test.ts.)
      expect(await refusal(verifyAttestations([jwt], [{ ...remote, jwksCa: undefined }], NOW))).toMatch(/key set could not be fetched/);
      // A key set that is not there.
      expect(await refusal(verifyAttestations([jwt], [{ ...remote, jwksUri: jwksUri.replace('jwks.json', 'nothing') }], NOW))).toMatch(
        /key set could not be fetched/,
      );
    } finally {
      await new Promise((r) => server.close(r));
    }
    expect(() => checkJwksUri('http://127.0.0.1/jwks.json')).toThrow(expect.objectContaining({ code: 'ERR_ARGUMENT' }));
    expect(() => checkJwksUri('https://user:pw@127.0.0.1/jwks.json')).toThrow(expect.objectContaining({ code: 'ERR_ARGUMENT' }));
  });
});
