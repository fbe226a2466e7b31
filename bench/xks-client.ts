/**
 * KMS's side of `npm run bench:xks`, in a process of its own: signs a pool of Encrypt and
 * Decrypt calls with the AWS SDK's signer, warms up, then runs `connections` closed loops over
 * HTTPS keep-alive (one socket each) for `seconds`, and answers with the latencies.
 */
import { Agent, request } from 'node:https';
import { randomBytes, randomUUID } from 'node:crypto';
import { smithyHeaders, type XksCredential } from '../test/broker/xks/signer.js';

interface Job {
  base: string;
  ca: string;
  credential: XksCredential;
  connections: number;
  seconds: number;
  decryptShare: number;
}

interface Signed {
  url: string;
  headers: Record<string, string>;
  body: string;
}

function send(agent: Agent, ca: string, s: Signed): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      s.url,
      { method: 'POST', agent, ca, headers: { ...s.headers, 'content-length': String(Buffer.byteLength(s.body)) } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      },
    );
    req.on('error', reject);
    req.end(s.body);
  });
}

const meta = (op: string) => ({
  awsPrincipalArn: 'arn:aws:iam::123456789012:role/s3-writer',
  kmsKeyArn: 'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab',
  kmsOperation: op,
  kmsRequestId: randomUUID(),
  kmsViaService: 's3',
});

async function sign(job: Job, path: string, body: unknown): Promise<Signed> {
  const url = `${job.base}/${path}`;
  const text = JSON.stringify(body);
  return { url, headers: await smithyHeaders({ url, body: text, credential: job.credential, region: 'eu-west-1' }), body: text };
}

process.once('message', async (job: Job) => {
  const aad = randomBytes(64).toString('base64');
  const pool: Signed[] = [];
  const setup = new Agent({ keepAlive: true, maxSockets: 4 });
  // Ciphertexts to decrypt, made by the broker itself.
  const made: { ciphertext: string; initializationVector: string; authenticationTag: string }[] = [];
  for (let i = 0; i < 64; i++) {
    const e = await send(
      setup,
      job.ca,
      await sign(job, 'encrypt', {
        requestMetadata: meta('GenerateDataKey'),
        plaintext: randomBytes(32).toString('base64'),
        encryptionAlgorithm: 'AES_GCM',
        additionalAuthenticatedData: aad,
      }),
    );
    if (e.status !== 200) throw new Error(`setup encrypt: ${e.status} ${e.body}`);
    made.push(JSON.parse(e.body));
  }
  setup.destroy();
  for (let i = 0; i < 1024; i++) {
    if (i / 1024 < job.decryptShare) {
      const m = made[i % made.length]!;
      pool.push(
        await sign(job, 'decrypt', {
          requestMetadata: meta('Decrypt'),
          encryptionAlgorithm: 'AES_GCM',
          additionalAuthenticatedData: aad,
          ...m,
        }),
      );
    } else {
      pool.push(
        await sign(job, 'encrypt', {
          requestMetadata: meta('GenerateDataKey'),
          plaintext: randomBytes(32).toString('base64'),
          encryptionAlgorithm: 'AES_GCM',
          additionalAuthenticatedData: aad,
          ciphertextDataIntegrityValueAlgorithm: 'SHA_256',
        }),
      );
    }
  }
  // Shuffled, so that every connection sends the mix.
  for (let i = pool.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [pool[i], pool[j]] = [pool[j]!, pool[i]!];
  }
  const agents = Array.from({ length: job.connections }, () => new Agent({ keepAlive: true, maxSockets: 1 }));
  const errors: Record<string, number> = {};
  let next = 0;
  const one = async (agent: Agent, latencies?: number[]) => {
    const s = pool[next++ % pool.length]!;
    const t0 = performance.now();
    const r = await send(agent, job.ca, s);
    if (latencies) latencies.push(performance.now() - t0);
    if (r.status !== 200) {
      const name = `${r.status} ${(JSON.parse(r.body) as { errorName?: string }).errorName ?? ''}`;
      errors[name] = (errors[name] ?? 0) + 1;
    }
  };
  for (let round = 0; round < 20; round++) await Promise.all(agents.map((a) => one(a)));
  for (const k of Object.keys(errors)) delete errors[k];
  process.send!({ ready: true });
  process.once('message', async () => {
    const latencies: number[] = [];
    const cpu0 = process.cpuUsage();
    const start = performance.now();
    const end = start + job.seconds * 1000;
    await Promise.all(
      agents.map(async (a) => {
        while (performance.now() < end) await one(a, latencies);
      }),
    );
    const elapsed = (performance.now() - start) / 1000;
    const cpu = process.cpuUsage(cpu0);
    for (const a of agents) a.destroy();
    process.send!({ latencies, elapsed, errors, cpuMs: (cpu.user + cpu.system) / 1000 });
    process.exit(0);
  });
});
