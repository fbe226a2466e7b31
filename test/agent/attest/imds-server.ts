/**
 * A stand-in for the cloud metadata services on 127.0.0.1 (real HTTP, node:http), serving
 * what each provider documents: AWS IMDSv2 (a session token from PUT /latest/api/token, then
 * the identity document and its signatures, refused without the token), Google Cloud
 * (the identity JWT, refused without Metadata-Flavor: Google) and Azure (attested data,
 * refused without Metadata: true). Tests never reach the real link-local address.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ImdsContent {
  aws?: { document: string; rsa2048: string; pkcs7: string };
  /** Makes the GCP JWT for an audience. */
  gcp?: (audience: string) => Promise<string>;
  azure?: (nonce: string | undefined) => { encoding: 'pkcs7'; signature: string };
}

export interface ImdsServer {
  url: string;
  /** Every request seen, as "METHOD path". */
  requests: string[];
  /** Answer the next `n` requests with HTTP 500. */
  failNext(n: number): void;
  /** Never answer (hold the connection open). */
  hang(on: boolean): void;
  close(): Promise<void>;
}

const TOKEN = 'AQAEAFakeImdsV2SessionTokenForTests==';

export async function startImdsServer(content: ImdsContent): Promise<ImdsServer> {
  const requests: string[] = [];
  let failures = 0;
  let hanging = false;
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    requests.push(`${req.method} ${url.pathname}`);
    if (hanging) return;
    const send = (status: number, body: string, type = 'text/plain') => {
      res.writeHead(status, { 'Content-Type': type });
      res.end(body);
    };
    if (failures > 0) {
      failures--;
      return send(500, 'Internal Server Error');
    }
    void (async () => {
      // AWS (EC2 user guide: "Use IMDSv2", "Instance identity documents")
      if (url.pathname === '/latest/api/token' && content.aws) {
        if (req.method !== 'PUT') return send(405, '');
        const ttl = Number(req.headers['x-aws-ec2-metadata-token-ttl-seconds']);
        if (!(ttl >= 1 && ttl <= 21600)) return send(400, '');
        return send(200, TOKEN);
      }
      if (url.pathname.startsWith('/latest/dynamic/instance-identity/') && content.aws) {
        if (req.headers['x-aws-ec2-metadata-token'] !== TOKEN) return send(401, '');
        const leaf = url.pathname.slice('/latest/dynamic/instance-identity/'.length);
        if (leaf === 'document') return send(200, content.aws.document);
        if (leaf === 'rsa2048' || leaf === 'pkcs7') return send(200, content.aws[leaf]);
        return send(404, '');
      }
      // Google Cloud ("Verify the identity of instances")
      if (url.pathname === '/computeMetadata/v1/instance/service-accounts/default/identity' && content.gcp) {
        if (req.headers['metadata-flavor'] !== 'Google') return send(403, '');
        const audience = url.searchParams.get('audience');
        if (!audience || url.searchParams.get('format') !== 'full') return send(400, 'non-empty audience parameter required');
        return send(200, await content.gcp(audience));
      }
      // Azure (Instance Metadata Service, "Attested data")
      if (url.pathname === '/metadata/attested/document' && content.azure) {
        if (req.headers.metadata !== 'true')
          return send(400, JSON.stringify({ error: 'Bad request. Required metadata header not specified' }), 'application/json');
        if (url.searchParams.get('api-version') !== '2020-09-01')
          return send(400, JSON.stringify({ error: 'Bad request. api-version was not specified' }), 'application/json');
        return send(200, JSON.stringify(content.azure(url.searchParams.get('nonce') ?? undefined)), 'application/json');
      }
      send(404, 'Not Found');
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    failNext: (n) => void (failures = n),
    hang: (on) => void (hanging = on),
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** An AWS instance identity document in the published layout (pretty-printed, as served). */
export function awsDocument(fields: Record<string, unknown> = {}): string {
  const doc = {
    accountId: '123456789012',
    architecture: 'x86_64',
    availabilityZone: 'eu-west-1a',
    billingProducts: null,
    devpayProductCodes: null,
    marketplaceProductCodes: null,
    imageId: 'ami-0123456789abcdef0',
    instanceId: 'i-0123456789abcdef0',
    instanceType: 't3.micro',
    kernelId: null,
    pendingTime: '2026-11-30T08:00:00Z',
    privateIp: '10.0.1.23',
    ramdiskId: null,
    region: 'eu-west-1',
    version: '2017-09-30',
    ...fields,
  };
  return `{\n${Object.entries(doc)
    .map(([k, v]) => `  "${k}" : ${JSON.stringify(v)}`)
    .join(',\n')}\n}`;
}

/** The JSON Azure signs into attested data. */
export function azureAttestedContent(nonce: string | undefined): string {
  return JSON.stringify({
    licenseType: '',
    nonce: nonce ?? '20261130-080000',
    plan: { name: '', product: '', publisher: '' },
    sku: '22_04-lts-gen2',
    subscriptionId: '00000000-1111-2222-3333-444444444444',
    timeStamp: { createdOn: '11/30/26 08:00:00 -0000', expiresOn: '11/30/26 14:00:00 -0000' },
    vmId: '55555555-6666-7777-8888-999999999999',
  });
}
