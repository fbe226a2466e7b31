/**
 * One broker (PGlite, in process) with a tenant, two keys and an enrolled agent, for the
 * integration tests. Policies pin integrity.selfHash: key `here` releases to this checkout's
 * hash, key `elsewhere` only to another build's.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BrokerAgent } from '../../src/agent/index.js';
import { collectClaims } from '../../src/agent/claims/index.js';
import { makeTenant, startBroker, type Harness } from '../broker/helpers.js';
import { CLI } from '../entry.js';

export interface Fixture {
  h: Harness;
  dir: string;
  caFile: string;
  adminToken: string;
  /** An approver of the tenant (manual-approval tests). */
  approverToken: string;
  stateDir: string;
  selfHash: string;
  keys: Record<'here' | 'elsewhere', { keyId: string; version: number; publicKey: string }>;
}

export async function startFixture(): Promise<Fixture> {
  const h = await startBroker();
  const dir = await mkdtemp(join(tmpdir(), 'sc-integ-'));
  const caFile = join(dir, 'ca.pem');
  await writeFile(caFile, h.ca);
  const t = await makeTenant(h);
  const call = async (method: string, path: string, body?: unknown) => {
    const a = await h.client.call(method, path, { token: t.admin, body });
    if (a.status >= 300) throw new Error(`${method} ${path}: ${a.status} ${JSON.stringify(a.body)}`);
    return a.body;
  };
  const selfHash = String(((await collectClaims({ collectors: ['selfHash'] })).claims.integrity as { selfHash: string }).selfHash);
  const here = await call('POST', '/v1/keys', { name: 'here' });
  const elsewhere = await call('POST', '/v1/keys', { name: 'elsewhere' });
  const pin = (name: string, keyId: string, hash: string) =>
    call('PUT', `/v1/policies/${name}`, {
      keys: [keyId],
      devices: { groups: ['integ'] },
      rules: { allOf: [{ claim: 'integrity.selfHash', equals: hash }] },
      approval: { mode: 'auto' },
    });
  await pin('this-build', here.keyId, selfHash);
  await pin('other-build', elsewhere.keyId, 'f'.repeat(64));
  const { token } = await call('POST', '/v1/enrollment-tokens', { groups: ['integ'], uses: 1 });
  const stateDir = join(dir, 'agent');
  (await BrokerAgent.enroll({ url: h.url, ca: h.ca, token, stateDir, device: { name: 'integ-1' } })).close();
  return { h, dir, caFile, adminToken: t.admin, approverToken: t.approver1, stateDir, selfHash, keys: { here, elsewhere } };
}

export interface Run {
  code: number;
  stdout: Buffer;
  stderr: string;
}

/**
 * The CLI as a child process. Asynchronous on purpose: the broker answering it runs in this
 * process's event loop.
 */
export function cli(args: string[], opts: { env?: Record<string, string>; input?: Uint8Array } = {}): Promise<Run> {
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      [...CLI, ...args],
      { encoding: 'buffer', env: { ...process.env, ...opts.env }, maxBuffer: 16 * 1024 * 1024 },
      (err, stdout, stderr) =>
        resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr: stderr.toString('utf8') }),
    );
    child.stdin!.end(opts.input ? Buffer.from(opts.input) : undefined);
  });
}
