/**
 * Signed cloud documents end to end: the agent fetches the AWS identity document and Azure's
 * attested data from a stand-in metadata server (signed by the openssl program with
 * certificates this test makes), sends them in the release request, and the broker checks
 * them against the certificates of the tenant's trusted issuers of kind aws / azure. The
 * verified fields are `attested.<issuer>.*` in policies; a document that does not verify is
 * a denial naming why, never a 5xx.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { BrokerAgent } from '../../src/agent/index.js';
import { hpkeSeal } from '../../src/keys/hpke.js';
import { describeWithTool } from '../tools.js';
import { awsDocument, startImdsServer, type ImdsServer } from '../agent/attest/imds-server.js';
import { createSigner, opensslMissing, type TestSigner } from '../agent/attest/openssl-sign.js';
import { makeTenant, startBroker, type Harness } from './helpers.js';

/** Azure's "MM/DD/YY HH:MM:SS -0000". */
function azureTime(d: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${p(d.getUTCMonth() + 1)}/${p(d.getUTCDate())}/${p(d.getUTCFullYear() % 100)} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} -0000`;
}

function azureContent(expiresOn: Date): string {
  return JSON.stringify({
    licenseType: '',
    nonce: '1234567890',
    plan: { name: '', product: '', publisher: '' },
    sku: '22_04-lts-gen2',
    subscriptionId: '00000000-1111-2222-3333-444444444444',
    timeStamp: { createdOn: azureTime(new Date(expiresOn.getTime() - 6 * 3600_000)), expiresOn: azureTime(expiresOn) },
    vmId: '55555555-6666-7777-8888-999999999999',
  });
}

describeWithTool('openssl', opensslMissing(), 'cloud PKCS#7 documents in release requests', () => {
  let h: Harness;
  let t: Awaited<ReturnType<typeof makeTenant>>;
  let aws: TestSigner;
  let azure: TestSigner;
  let stranger: TestSigner;
  let imds: ImdsServer;
  let stateDir: string;
  const keys: Record<'aws' | 'azure', { keyId: string; publicKey: Uint8Array }> = {} as never;
  const volume = randomUUID();
  const document = awsDocument();

  async function sealed(which: 'aws' | 'azure') {
    const te = new TextEncoder();
    const s = await hpkeSeal(
      'x25519',
      keys[which].publicKey,
      te.encode('sectorcrypt-luks2/v1 broker'),
      te.encode(`${keys[which].keyId}/1/${volume}`),
      new Uint8Array(32).fill(which === 'aws' ? 1 : 2),
    );
    return { keyId: keys[which].keyId, version: 1, ...s };
  }

  async function refusal(
    p: Promise<unknown>,
  ): Promise<{ code: string; reasons: { rule: string; claim: string; actual: string }[]; message: string }> {
    try {
      await p;
    } catch (e) {
      return e as never;
    }
    throw new Error('released');
  }

  beforeAll(async () => {
    aws = createSigner('rsa', '/C=US/O=Amazon Web Services LLC/CN=test aws');
    azure = createSigner('rsa', '/CN=metadata.azure.com');
    stranger = createSigner('rsa', '/CN=someone else');
    imds = await startImdsServer({
      aws: { document, rsa2048: aws.sign(document), pkcs7: aws.sign(document) },
      azure: () => ({
        encoding: 'pkcs7',
        signature: azure.sign(azureContent(new Date(Date.now() + 6 * 3600_000)), { withCertificate: true }).replace(/\n/g, ''),
      }),
    });
    h = await startBroker();
    t = await makeTenant(h);
    for (const [name, signer] of [
      ['aws', aws],
      ['azure', azure],
    ] as const) {
      const i = await h.client.call('POST', '/v1/issuers', {
        token: t.admin,
        body: { name, kind: name, certificates: [...(name === 'aws' ? [azure.certificatePem] : []), signer.certificatePem] },
      });
      expect(i.status, JSON.stringify(i.body)).toBe(201);
      const k = await h.client.call('POST', '/v1/keys', { token: t.admin, body: { name } });
      keys[name] = { keyId: k.body.keyId, publicKey: new Uint8Array(Buffer.from(k.body.publicKey, 'base64')) };
    }
    const policy = (name: string, keyId: string, rules: unknown) =>
      h.client.call('PUT', `/v1/policies/${name}`, {
        token: t.admin,
        body: { keys: [keyId], devices: { groups: ['cloud'] }, rules, approval: { mode: 'auto' } },
      });
    expect(
      (
        await policy('on-aws', keys.aws.keyId, {
          allOf: [
            { claim: 'attested.aws.instanceId', equals: 'i-0123456789abcdef0' },
            { claim: 'attested.aws.region', in: ['eu-west-1'] },
          ],
        })
      ).status,
    ).toBe(200);
    expect(
      (await policy('on-azure', keys.azure.keyId, { claim: 'attested.azure.vmId', equals: '55555555-6666-7777-8888-999999999999' })).status,
    ).toBe(200);
    const e = await h.client.call('POST', '/v1/enrollment-tokens', { token: t.admin, body: { groups: ['cloud'] } });
    stateDir = join(await mkdtemp(join(tmpdir(), 'sc-agent-')), 's');
    (await BrokerAgent.enroll({ url: h.url, ca: h.ca, token: e.body.token, stateDir, device: { name: 'vm' } })).close();
  }, 180_000);
  afterAll(async () => {
    await imds?.close();
    for (const s of [aws, azure, stranger]) s?.close();
    await h?.stop();
  });

  it('a claims config with providers sends both documents; their verified fields release both keys', async () => {
    const agent = await BrokerAgent.load({
      stateDir,
      claims: { collectors: ['hostname'], attestations: { providers: ['aws', 'azure'], metadataBaseUrlForTests: imds.url } },
    });
    try {
      expect((await agent.unwrap(await sealed('aws'), { resource: `luks2:${volume}` }))[0]).toBe(1);
      expect((await agent.unwrap(await sealed('azure'), { resource: `luks2:${volume}` }))[0]).toBe(2);
    } finally {
      agent.close();
    }
    // The request keeps the verified claims, as approvers and auditors see them.
    const list = await h.client.call('GET', '/v1/requests?status=released', { token: t.admin });
    expect(list.body.requests[0].claims.attested.azure.sku).toBe('22_04-lts-gen2');
    expect(list.body.requests[1].claims.attested.aws).toMatchObject({ accountId: '123456789012', instanceId: 'i-0123456789abcdef0' });
  }, 60_000);

  it('a forged document, a stranger signature, garbage and an expired Azure document are denials that say why', async () => {
    const cases: [Record<string, unknown>, 'aws' | 'azure', RegExp][] = [
      [
        { aws: { document: document.replace('i-0123456789abcdef0', 'i-0fffffffffffffff0'), pkcs7: aws.sign(document) } },
        'aws',
        /differs from the signed content/,
      ],
      [{ aws: { document, pkcs7: stranger.sign(document) } }, 'aws', /not configured/],
      [{ aws: { document, pkcs7: 'bm90IGEgcGtjczc=' } }, 'aws', /not a PKCS#7/],
      [{ azure: { signature: azure.sign(azureContent(new Date(Date.now() - 3600_000))) } }, 'azure', /expired/],
    ];
    for (const [documents, which, why] of cases) {
      const agent = await BrokerAgent.load({ stateDir, documents: documents as never });
      try {
        const e = await refusal(agent.unwrap(await sealed(which), { resource: `luks2:${volume}` }));
        expect(e.code, e.message).toBe('ERR_DENIED');
        expect(e.reasons).toEqual([
          expect.objectContaining({ rule: 'attestation', claim: `attested.${which}`, actual: expect.stringMatching(why) }),
        ]);
        expect(e.message).toMatch(/denied: attestation: attested\./);
      } finally {
        agent.close();
      }
    }
    const log = await h.client.call('GET', '/v1/audit?limit=1000', { token: t.auditor });
    expect(
      log.body.records.filter(
        (r: { action: string; reasons?: { trace?: { rule: string }[] } }) =>
          r.action === 'key.deny' && r.reasons?.trace?.[0]?.rule === 'attestation',
      ).length,
    ).toBe(cases.length);
  }, 60_000);

  it('a document of a kind the tenant does not trust is denied; issuers with bad certificates or mixed fields are refused', async () => {
    const other = await makeTenant(h);
    const bad = await h.client.call('POST', '/v1/issuers', {
      token: other.admin,
      body: { name: 'aws', kind: 'aws', certificates: ['not a certificate'] },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toContain('/certificates/0');
    const mixed = await h.client.call('POST', '/v1/issuers', {
      token: other.admin,
      body: { name: 'aws', kind: 'aws', issuer: 'x', certificates: [aws.certificatePem] },
    });
    expect(mixed.body.error.code).toBe('ERR_ARGUMENT');
    const noJwks = await h.client.call('POST', '/v1/issuers', { token: other.admin, body: { name: 'x', issuer: 'https://x.example' } });
    expect(noJwks.body.error.code).toBe('ERR_ARGUMENT');
    const plainHttp = await h.client.call('POST', '/v1/issuers', {
      token: other.admin,
      body: { name: 'x', issuer: 'https://x.example', jwksUri: 'http://127.0.0.1/jwks.json' },
    });
    expect(plainHttp.body.error.message).toContain('https://');
    const remote = await h.client.call('POST', '/v1/issuers', {
      token: other.admin,
      body: {
        name: 'x',
        issuer: 'https://x.example',
        jwksUri: 'https://127.0.0.1:1/jwks.json',
        jwksCa: aws.certificatePem,
        allowPrivateNetwork: true,
      },
    });
    expect(remote.status, JSON.stringify(remote.body)).toBe(201);
    // The first tenant trusts no azure issuer once it is replaced by a JWT one of that name.
    const agent = await BrokerAgent.load({
      stateDir,
      documents: { azure: { signature: azure.sign(azureContent(new Date(Date.now() + 3600_000))) } },
    });
    try {
      const jwks = {
        keys: [
          { kty: 'EC', crv: 'P-256', x: 'f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU', y: 'x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0' },
        ],
      };
      expect(
        (await h.client.call('POST', '/v1/issuers', { token: t.admin, body: { name: 'azure', issuer: 'https://azure.example', jwks } }))
          .status,
      ).toBe(201);
      const e = await refusal(agent.unwrap(await sealed('azure'), { resource: `luks2:${volume}` }));
      expect(e.code).toBe('ERR_DENIED');
      expect(e.reasons[0]!.actual).toContain('no trusted issuer of kind azure');
    } finally {
      agent.close();
    }
    // The agent keeps its request under the broker's 64 KiB limit, or says so before sending.
    const huge = await BrokerAgent.load({ stateDir, documents: { azure: { signature: 'A'.repeat(70_000) } } });
    try {
      const e = await refusal(huge.unwrap(await sealed('azure'), { resource: `luks2:${volume}` }));
      expect(e.code).toBe('ERR_ARGUMENT');
      expect(e.message).toContain("over the broker's limit of 65536");
    } finally {
      huge.close();
    }
  }, 60_000);
});
