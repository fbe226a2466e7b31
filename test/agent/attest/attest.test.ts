/**
 * Cloud identity documents fetched over real HTTP from our stand-in metadata server on
 * 127.0.0.1 (never the real link-local address: every call passes metadataBaseUrlForTests,
 * and anything but a loopback URL is refused before a packet leaves).
 */
import { generateKeyPair, jwtVerify, SignJWT } from 'jose';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { attestationsProvider, collectAttestations, METADATA_BASE_URL } from '../../../src/agent/attest/index.js';
import { awsDocument, startImdsServer, type ImdsServer } from './imds-server.js';

const FAKE_PKCS7 =
  'MIAGCSqGSIb3DQEHAqCAMIACAQExDzANBglghkgBZQMEAgEFADCABgkqhkiG9w0BBwGggCSA\nBIIBjnsKICAiYWNjb3VudElkIiA6ICIxMjM0NTY3ODkwMTIi';
const keys = await generateKeyPair('RS256');
let azureNonce: string | undefined;
let server: ImdsServer;

/** A Google identity token with format=full claims (Compute Engine "Verify the identity of instances"). */
async function googleToken(audience: string): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({
    azp: '112233445566778899000',
    email: '123456789-compute@developer.gserviceaccount.com',
    email_verified: true,
    google: {
      compute_engine: {
        instance_creation_timestamp: now - 3600,
        instance_id: '4567890123456789012',
        instance_name: 'db-1',
        project_id: 'acme-prod',
        project_number: 123456789,
        zone: 'europe-west1-b',
      },
    },
  })
    .setProtectedHeader({ alg: 'RS256', kid: 'test-key', typ: 'JWT' })
    .setIssuer('https://accounts.google.com')
    .setSubject('112233445566778899000')
    .setAudience(audience)
    .setIssuedAt(now)
    .setExpirationTime(now + 3600)
    .sign(keys.privateKey);
}

beforeAll(async () => {
  server = await startImdsServer({
    aws: { document: awsDocument(), rsa2048: FAKE_PKCS7, pkcs7: `${FAKE_PKCS7}\n` },
    gcp: googleToken,
    azure: (nonce) => {
      azureNonce = nonce;
      return { encoding: 'pkcs7', signature: FAKE_PKCS7.replace(/\n/g, '') };
    },
  });
});
afterAll(() => server.close());
beforeEach(() => {
  server.requests.length = 0;
  server.failNext(0);
  server.hang(false);
});

const local = () => ({ metadataBaseUrlForTests: server.url });

describe('collectAttestations against the local metadata server', () => {
  it('AWS: IMDSv2 token, then the document and its RSA-2048 PKCS#7', async () => {
    const result = await collectAttestations({ ...local(), providers: ['aws'] });
    expect(result.unavailable).toEqual([]);
    expect(result.attestations).toEqual([]);
    expect(result.documents.aws).toEqual({ document: awsDocument(), pkcs7: FAKE_PKCS7.replace(/\n/g, ''), signature: 'rsa2048' });
    expect(server.requests.sort()).toEqual([
      'GET /latest/dynamic/instance-identity/document',
      'GET /latest/dynamic/instance-identity/rsa2048',
      'PUT /latest/api/token',
    ]);
  });

  it('AWS: the DSA pkcs7 endpoint on request', async () => {
    const result = await collectAttestations({ ...local(), providers: ['aws'], awsSignature: 'pkcs7' });
    expect(result.documents.aws?.signature).toBe('pkcs7');
    expect(server.requests).toContain('GET /latest/dynamic/instance-identity/pkcs7');
  });

  it('Google Cloud: the identity JWT for our audience, verifiable with the issuer key', async () => {
    const audience = 'https://broker.example.com';
    const result = await collectAttestations({ ...local(), providers: ['gcp'], gcpAudience: audience });
    expect(result.unavailable).toEqual([]);
    expect(result.attestations).toHaveLength(1);
    const { payload } = await jwtVerify(result.attestations[0]!, keys.publicKey, { issuer: 'https://accounts.google.com', audience });
    expect(payload).toMatchObject({ google: { compute_engine: { instance_id: '4567890123456789012', project_id: 'acme-prod' } } });
  });

  it('Azure: attested data with our nonce', async () => {
    const result = await collectAttestations({ ...local(), providers: ['azure'], azureNonce: '1234567890' });
    expect(result.documents.azure).toEqual({ encoding: 'pkcs7', signature: FAKE_PKCS7.replace(/\n/g, '') });
    expect(azureNonce).toBe('1234567890');
    await expect(collectAttestations({ ...local(), providers: ['azure'], azureNonce: '12345678901' })).rejects.toMatchObject({
      code: 'ERR_ARGUMENT',
    });
  });

  it('attestationsProvider gives the JWTs, as BrokerAgent.load takes them', async () => {
    const provide = attestationsProvider({ ...local(), providers: ['gcp', 'aws'], gcpAudience: 'b' });
    const jwts = await provide();
    expect(jwts).toHaveLength(1);
    expect(jwts[0]).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
  });

  it('all three in one call', async () => {
    const result = await collectAttestations({ ...local(), providers: ['aws', 'gcp', 'azure'], gcpAudience: 'b' });
    expect(result.unavailable).toEqual([]);
    expect(result.attestations).toHaveLength(1);
    expect(Object.keys(result.documents).sort()).toEqual(['aws', 'azure']);
  });
});

describe('failures: short, bounded, reported', () => {
  it('retries once after a 5xx', async () => {
    server.failNext(1);
    const result = await collectAttestations({ ...local(), providers: ['gcp'], gcpAudience: 'b' });
    expect(result.unavailable).toEqual([]);
    expect(server.requests).toHaveLength(2);
  });

  it('gives up after one retry, with the status', async () => {
    server.failNext(100);
    const result = await collectAttestations({ ...local(), providers: ['gcp'], gcpAudience: 'b' });
    expect(result.unavailable).toEqual([{ provider: 'gcp', reason: expect.stringContaining('HTTP 500') }]);
    expect(server.requests).toHaveLength(2);
  });

  it('does not retry a 4xx (here: a provider this server does not emulate)', async () => {
    const other = await startImdsServer({});
    try {
      const result = await collectAttestations({ metadataBaseUrlForTests: other.url, providers: ['azure'] });
      expect(result.unavailable).toEqual([{ provider: 'azure', reason: expect.stringContaining('HTTP 404') }]);
      expect(other.requests).toHaveLength(1);
    } finally {
      await other.close();
    }
  });

  it('reports a service that never answers', async () => {
    server.hang(true);
    const result = await collectAttestations({ ...local(), providers: ['gcp'], gcpAudience: 'b', totalTimeoutMs: 300 });
    expect(result.unavailable).toEqual([{ provider: 'gcp', reason: 'no answer within 300 ms' }]);
    expect(server.requests).toHaveLength(2);
  });

  it('reports a refused connection (no metadata service: off the cloud)', async () => {
    const gone = await startImdsServer({});
    const url = gone.url;
    await gone.close();
    const result = await collectAttestations({ metadataBaseUrlForTests: url, providers: ['aws'] });
    expect(result.unavailable).toEqual([{ provider: 'aws', reason: expect.stringContaining('ECONNREFUSED') }]);
  });

  it('gcp without an audience is unavailable, not a request', async () => {
    const result = await collectAttestations({ ...local(), providers: ['gcp'] });
    expect(result.unavailable).toEqual([{ provider: 'gcp', reason: 'gcpAudience is required' }]);
    expect(server.requests).toEqual([]);
  });

  it('refuses a test base URL that is not loopback, before any traffic', async () => {
    expect(METADATA_BASE_URL).toBe('http://169.254.169.254');
    for (const url of ['http://169.254.169.254', 'http://metadata.google.internal', 'https://127.0.0.1', 'http://10.0.0.1:80']) {
      await expect(collectAttestations({ metadataBaseUrlForTests: url, providers: ['aws'] })).rejects.toMatchObject({
        code: 'ERR_ARGUMENT',
      });
    }
  });
});
