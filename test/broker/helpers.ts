/** Test helpers: a broker in a temp folder over real HTTPS, and a small JSON client pinned to its CA. */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Broker, type CheckpointSchedule, type RateLimitOptions } from '../../src/broker/index.js';
import { PinnedHttps } from '../../src/agent/https.js';

export interface Answer<T = any> {
  status: number;
  body: T;
  retryAfterSeconds?: number;
}

export class Client {
  readonly #http: PinnedHttps;
  constructor(
    readonly url: string,
    readonly ca: string,
  ) {
    this.#http = new PinnedHttps(ca);
  }

  async call<T = any>(
    method: string,
    path: string,
    opts: { token?: string; body?: unknown; raw?: string | Uint8Array; contentType?: string } = {},
  ): Promise<Answer<T>> {
    const headers: Record<string, string> = {};
    if (opts.token) headers.authorization = `Bearer ${opts.token}`;
    let bytes: Uint8Array | undefined;
    if (opts.raw !== undefined) bytes = typeof opts.raw === 'string' ? Buffer.from(opts.raw) : opts.raw;
    else if (opts.body !== undefined) bytes = Buffer.from(JSON.stringify(opts.body));
    if (bytes) headers['content-type'] = opts.contentType ?? 'application/json';
    return (await this.#http.send(method, `${this.url}${path}`, headers, bytes)) as Answer<T>;
  }

  close(): void {
    this.#http.close();
  }
}

export interface Harness {
  dir: string;
  broker: Broker;
  url: string;
  ca: string;
  operatorToken: string;
  client: Client;
  stop(): Promise<void>;
}

/** A broker made by Broker.create in a temp folder, listening on 127.0.0.1:0. */
/** A clock the tests can move (the broker reads it on every call). */
export interface Clock {
  offsetMs: number;
}

export async function startBroker(
  opts: {
    database?: string;
    clock?: Clock;
    dataDir?: string;
    checkpoints?: Partial<CheckpointSchedule>;
    auditRetentionDays?: number;
    rateLimits?: RateLimitOptions | false;
  } = {},
): Promise<Harness> {
  const dir = await mkdtemp(join(tmpdir(), 'sc-broker-'));
  const clock = opts.clock;
  const { broker, operatorToken, caFile } = await Broker.create({
    dataDir: join(dir, 'data'),
    // 'pglite:disk': PGlite in the data folder, as `broker init` makes it.
    database: opts.database === 'pglite:disk' ? `pglite:${join(dir, 'data', 'db')}` : (opts.database ?? 'pglite:memory'),
    now: clock ? () => new Date(Date.now() + clock.offsetMs) : undefined,
    checkpoints: opts.checkpoints,
    auditRetentionDays: opts.auditRetentionDays,
    rateLimits: opts.rateLimits,
  });
  const url = await broker.listen({ host: '127.0.0.1', port: 0 });
  const ca = await readFile(caFile, 'utf8');
  const client = new Client(url, ca);
  const h: Harness = {
    dir,
    broker,
    url,
    ca,
    operatorToken,
    client,
    async stop() {
      client.close();
      await h.broker.close(); // a test may have opened the broker again (suites/key-erase.ts)
      await rm(dir, { recursive: true, force: true });
    },
  };
  return h;
}

let counter = 0;

/** Redeems an invitation as its user would; returns the user's token. */
export async function redeem(h: { client: Client }, invitation: { code: string }): Promise<string> {
  const r = await h.client.call('POST', '/v1/invitations/redeem', { body: { code: invitation.code } });
  if (r.status !== 201) throw new Error(`redeem: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body.token as string;
}

/** A user made by an admin, redeemed: its token (roles granted at once: the tenant has one vouched admin). */
export async function makeUser(h: { client: Client }, admin: string, userName: string, roles: string[]): Promise<string> {
  const u = await h.client.call('POST', '/v1/users', { token: admin, body: { name: userName, roles } });
  if (u.status !== 201) throw new Error(`user: ${u.status} ${JSON.stringify(u.body)}`);
  return redeem(h, u.body.invitation);
}

/** A second admin invited by the operator (vouched: it counts as a second person); its token. */
export async function operatorAdmin(h: { client: Client; operatorToken: string }, tenantId: string, userName: string): Promise<string> {
  const a = await h.client.call('POST', `/v1/tenants/${tenantId}/admins`, { token: h.operatorToken, body: { name: userName } });
  if (a.status !== 201) throw new Error(`admin: ${a.status} ${JSON.stringify(a.body)}`);
  return redeem(h, a.body.invitation);
}

/** A tenant with its admin, an approver pair and an auditor. */
export async function makeTenant(h: { client: Client; operatorToken: string }) {
  const name = `t${++counter}-${Math.random().toString(36).slice(2, 8)}`;
  const t = await h.client.call('POST', '/v1/tenants', { token: h.operatorToken, body: { name, admin: { name: 'alice' } } });
  if (t.status !== 201) throw new Error(`tenant: ${t.status} ${JSON.stringify(t.body)}`);
  const admin = await redeem(h, t.body.admin.invitation);
  const user = (userName: string, roles: string[]) => makeUser(h, admin, userName, roles);
  return {
    tenantId: t.body.tenantId as string,
    admin,
    approver1: await user('bob', ['approver']),
    approver2: await user('carol', ['approver']),
    auditor: await user('dave', ['auditor']),
  };
}
