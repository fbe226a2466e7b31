/**
 * Broker side: the AWS identity document's PKCS#7 checked with the certificate the admin
 * configures. The signatures are made by the openssl program (RSA-2048/SHA-256 as AWS's
 * rsa2048 endpoint, DSA/SHA-1 as its pkcs7 one), served by the local metadata server,
 * fetched by the agent code, then verified: the whole path a real document takes.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { collectAttestations } from '../../../src/agent/attest/index.js';
import { verifyAwsIdentityDocument } from '../../../src/broker/attest/aws.js';
import { verifySignedData } from '../../../src/broker/attest/pkcs7.js';
import { describeWithTool } from '../../tools.js';
import { awsDocument, azureAttestedContent, startImdsServer, type ImdsServer } from './imds-server.js';
import { createSigner, opensslMissing, type TestSigner } from './openssl-sign.js';

describeWithTool('openssl', opensslMissing(), 'AWS identity document verification', () => {
  let rsa: TestSigner;
  let dsa: TestSigner;
  let other: TestSigner;
  let server: ImdsServer;
  const document = awsDocument();

  beforeAll(async () => {
    rsa = createSigner('rsa', '/C=US/O=Amazon Web Services LLC/CN=test rsa2048');
    dsa = createSigner('dsa', '/C=US/O=Amazon Web Services LLC/CN=test dsa');
    other = createSigner('rsa', '/CN=someone else');
    server = await startImdsServer({
      aws: { document, rsa2048: rsa.sign(document), pkcs7: dsa.sign(document) },
      azure: (nonce) => ({
        encoding: 'pkcs7',
        signature: rsa.sign(azureAttestedContent(nonce), { withCertificate: true }).replace(/\n/g, ''),
      }),
    });
  });
  afterAll(async () => {
    await server.close();
    for (const s of [rsa, dsa, other]) s.close();
  });

  it('verifies what the agent fetched (rsa2048 endpoint) and gives the document fields as claims', async () => {
    const { documents } = await collectAttestations({ metadataBaseUrlForTests: server.url, providers: ['aws'] });
    const verified = verifyAwsIdentityDocument(documents.aws!, [other.certificatePem, rsa.certificatePem]);
    expect(verified.claims).toEqual({
      accountId: '123456789012',
      architecture: 'x86_64',
      availabilityZone: 'eu-west-1a',
      imageId: 'ami-0123456789abcdef0',
      instanceId: 'i-0123456789abcdef0',
      instanceType: 't3.micro',
      pendingTime: '2026-11-30T08:00:00Z',
      privateIp: '10.0.1.23',
      region: 'eu-west-1',
      version: '2017-09-30',
    });
    expect(verified.signingTime).toBeInstanceOf(Date);
  });

  it('verifies the DSA/SHA-1 pkcs7 endpoint with the DSA certificate', async () => {
    const { documents } = await collectAttestations({ metadataBaseUrlForTests: server.url, providers: ['aws'], awsSignature: 'pkcs7' });
    expect(verifyAwsIdentityDocument(documents.aws!, [dsa.certificatePem]).claims.instanceId).toBe('i-0123456789abcdef0');
  });

  it('refuses a document changed after signing', () => {
    const pkcs7 = rsa.sign(document);
    const forged = document.replace('i-0123456789abcdef0', 'i-0fffffffffffffff0');
    expect(() => verifyAwsIdentityDocument({ document: forged, pkcs7 }, [rsa.certificatePem])).toThrow(
      expect.objectContaining({ code: 'ERR_AUTH', message: expect.stringContaining('differs from the signed content') }),
    );
    const detached = rsa.sign(document, { detached: true });
    expect(() => verifyAwsIdentityDocument({ document: forged, pkcs7: detached }, [rsa.certificatePem])).toThrow(
      expect.objectContaining({ code: 'ERR_AUTH', message: expect.stringContaining('message digest') }),
    );
    expect(verifyAwsIdentityDocument({ document, pkcs7: detached }, [rsa.certificatePem]).claims.region).toBe('eu-west-1');
  });

  it('refuses a signature by a certificate that is not configured, even one carried inside', () => {
    const pkcs7 = other.sign(document, { withCertificate: true });
    expect(() => verifyAwsIdentityDocument({ document, pkcs7 }, [rsa.certificatePem, dsa.certificatePem])).toThrow(
      expect.objectContaining({ code: 'ERR_AUTH', message: expect.stringContaining('not configured') }),
    );
  });

  it('refuses a corrupted signature value', () => {
    const der = Buffer.from(rsa.sign(document).replace(/\n/g, ''), 'base64');
    der[der.length - 5]! ^= 0x01; // inside the signature, the last field
    expect(() => verifyAwsIdentityDocument({ document, pkcs7: der.toString('base64') }, [rsa.certificatePem])).toThrow(
      expect.objectContaining({ code: 'ERR_AUTH', message: expect.stringContaining('bad signature') }),
    );
  });

  it('refuses input that is not a PKCS#7, and a verifier with no certificate', () => {
    expect(() => verifyAwsIdentityDocument({ document, pkcs7: 'bm90IGEgcGtjczc=' }, [rsa.certificatePem])).toThrow(
      expect.objectContaining({ code: 'ERR_ARGUMENT' }),
    );
    expect(() => verifyAwsIdentityDocument({ document, pkcs7: 'not base64!' }, [rsa.certificatePem])).toThrow(
      expect.objectContaining({ code: 'ERR_ARGUMENT' }),
    );
    expect(() => verifyAwsIdentityDocument({ document, pkcs7: rsa.sign(document) }, [])).toThrow(
      expect.objectContaining({ code: 'ERR_ARGUMENT' }),
    );
  });

  it('refuses signed content that is not an identity document', () => {
    const pkcs7 = rsa.sign('{"hello":"world"}');
    expect(() => verifyAwsIdentityDocument({ document: '{"hello":"world"}', pkcs7 }, [rsa.certificatePem])).toThrow(
      expect.objectContaining({ code: 'ERR_AUTH', message: expect.stringContaining('no instanceId') }),
    );
  });

  it('the same verifier checks Azure attested data with a configured certificate', async () => {
    const { documents } = await collectAttestations({
      metadataBaseUrlForTests: server.url,
      providers: ['azure'],
      azureNonce: '1234567890',
    });
    const verified = verifySignedData(documents.azure!.signature, { certificates: [rsa.certificatePem] });
    expect(JSON.parse(verified.content.toString('utf8'))).toMatchObject({
      nonce: '1234567890',
      vmId: '55555555-6666-7777-8888-999999999999',
    });
  });
});
