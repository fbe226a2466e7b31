/**
 * Rate limits (429 ERR_RATE_LIMITED with Retry-After): the buckets alone with a hand-moved
 * clock, then a broker over HTTPS with small limits, per API token, per device (after its
 * signature verified) and per source address (127.0.0.2 and .3 stand for other hosts: all of
 * 127/8 is loopback on Linux).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from 'node:https';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { Buckets, RATE_LIMIT_DEFAULTS, RateLimiter } from '../../src/broker/http/rate-limit.js';
import { BrokerAgent } from '../../src/agent/index.js';
import { hpkeSeal } from '../../src/keys/hpke.js';
import { SectorCryptError } from '../../src/errors.js';
import { makeTenant, startBroker, type Harness } from './helpers.js';

describe('token buckets', () => {
  it('allow the burst, then one request per 1/perSecond, and say how long to wait', () => {
    let now = 0;
    const b = new Buckets({ perSecond: 2, burst: 3 }, () => now);
    expect([b.take('a'), b.take('a'), b.take('a')]).toEqual([0, 0, 0]);
    expect(b.take('a')).toBe(1);
    expect(b.take('b')).toBe(0); // another key has its own bucket
    now += 500;
    expect(b.take('a')).toBe(0);
    expect(b.take('a')).toBe(1);
    expect(b.peek('a')).toBe(1);
    now += 10_000;
    expect(b.peek('a')).toBe(0);
    expect(
      new Buckets({ perSecond: 0.01, burst: 1 }, () => now).take('x') + new Buckets({ perSecond: 0.01, burst: 1 }, () => now).take('x'),
    ).toBe(0);
    const slow = new Buckets({ perSecond: 0.01, burst: 1 }, () => now);
    slow.take('x');
    expect(slow.take('x')).toBe(100);
  });

  it('the defaults let 32 devices release 40 times a second each (a bench) without a refusal', () => {
    let now = 0;
    const limits = new RateLimiter({}, () => now);
    for (let tick = 0; tick < 5 * 40; tick++) {
      now += 25;
      for (let d = 0; d < 32; d++) limits.takeDevice(`dev_${d}`);
    }
    expect(limits.device!.size).toBe(32);
    expect(RATE_LIMIT_DEFAULTS.device.perSecond).toBeGreaterThanOrEqual(100);
  });

  it('refuses bad limits', () => {
    expect(() => new Buckets({ perSecond: 0, burst: 1 })).toThrow(expect.objectContaining({ code: 'ERR_ARGUMENT' }));
    expect(() => new RateLimiter({ ip: { perSecond: 1, burst: 0 } })).toThrow(expect.objectContaining({ code: 'ERR_ARGUMENT' }));
  });
});

/** One HTTPS request from a chosen loopback address. */
function from(
  h: Harness,
  localAddress: string,
  method: string,
  path: string,
  token?: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; retryAfter?: string; body: any }> {
  return new Promise((resolve, reject) => {
    const req = request(
      `${h.url}${path}`,
      { method, ca: h.ca, localAddress, agent: false, headers: token ? { ...headers, authorization: `Bearer ${token}` } : headers },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode!,
            retryAfter: res.headers['retry-after'] as string | undefined,
            body: JSON.parse(Buffer.concat(chunks).toString() || 'null'),
          }),
        );
      },
    );
    req.on('error', reject);
    req.end();
  });
}

describe('a broker with small limits', () => {
  let h: Harness;
  let t: Awaited<ReturnType<typeof makeTenant>>;
  let stanza: { keyId: string; version: number; enc: Uint8Array; ciphertext: Uint8Array };
  const volume = randomUUID();
  const agents: BrokerAgent[] = [];

  beforeAll(async () => {
    h = await startBroker({
      rateLimits: { device: { perSecond: 1, burst: 2 }, token: { perSecond: 1, burst: 10 }, ip: { perSecond: 0.05, burst: 20 } },
    });
    t = await makeTenant(h);
    const k = await h.client.call('POST', '/v1/keys', { token: t.admin, body: { name: 'k' } });
    await h.client.call('PUT', '/v1/policies/all', {
      token: t.admin,
      body: { keys: [k.body.keyId], devices: { groups: ['g'] }, rules: { claim: 'device.id', exists: true }, approval: { mode: 'auto' } },
    });
    const e = await h.client.call('POST', '/v1/enrollment-tokens', { token: t.admin, body: { groups: ['g'], uses: 2 } });
    for (const i of [0, 1]) {
      const stateDir = join(await mkdtemp(join(tmpdir(), 'sc-agent-')), 's');
      (await BrokerAgent.enroll({ url: h.url, ca: h.ca, token: e.body.token, stateDir, device: { name: `a${i}` } })).close();
      agents.push(await BrokerAgent.load({ stateDir }));
    }
    const te = new TextEncoder();
    const s = await hpkeSeal(
      'x25519',
      new Uint8Array(Buffer.from(k.body.publicKey, 'base64')),
      te.encode('sectorcrypt-luks2/v1 broker'),
      te.encode(`${k.body.keyId}/1/${volume}`),
      new Uint8Array(32).fill(7),
    );
    stanza = { keyId: k.body.keyId, version: 1, ...s };
  }, 120_000);
  afterAll(async () => {
    for (const a of agents) a.close();
    await h?.stop();
  });

  it('per API token: 429 ERR_RATE_LIMITED with Retry-After, and other tokens go on', async () => {
    const fresh = (await h.client.call('POST', '/v1/tokens', { token: t.auditor, body: {} })).body.token as string;
    const answers = await Promise.all(Array.from({ length: 30 }, () => h.client.call('GET', '/v1/audit?limit=1', { token: fresh })));
    const limited = answers.filter((a) => a.status === 429);
    expect(limited.length).toBeGreaterThan(0);
    expect(limited[0]!.body).toEqual({ error: { code: 'ERR_RATE_LIMITED', message: expect.stringContaining('token') } });
    expect(limited[0]!.retryAfterSeconds).toBe(1);
    expect((await h.client.call('GET', '/v1/audit?limit=1', { token: t.auditor })).status).toBe(200);
  });

  it('per device, after the signature: ERR_RATE_LIMITED without wait, the release after Retry-After with wait; no record for a refused call', async () => {
    const [a, b] = agents as [BrokerAgent, BrokerAgent];
    const released = async () =>
      (await h.client.call('GET', '/v1/audit?limit=1000', { token: t.auditor })).body.records.filter(
        (r: { action: string }) => r.action === 'key.release',
      ).length;
    const before = await released();
    const tries = await Promise.allSettled(Array.from({ length: 6 }, () => a.unwrap(stanza, { resource: `luks2:${volume}` })));
    const refused = tries.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(refused.length).toBeGreaterThan(0);
    for (const r of refused) {
      expect(r.reason).toBeInstanceOf(SectorCryptError);
      expect(r.reason.code).toBe('ERR_RATE_LIMITED');
      expect(r.reason.retryAfterSeconds).toBe(1);
    }
    expect(await released()).toBe(before + tries.length - refused.length);
    // Another device is not held back by this one.
    expect((await b.unwrap(stanza, { resource: `luks2:${volume}` }))[0]).toBe(7);
    // Waiting: every call gets through, one a second.
    const waited = await Promise.all(
      Array.from({ length: 4 }, () => a.unwrap(stanza, { resource: `luks2:${volume}`, wait: true, timeoutMs: 60_000 })),
    );
    expect(waited.map((s) => s[0])).toEqual([7, 7, 7, 7]);
    // A wait shorter than the Retry-After gives up at once with the code.
    await Promise.allSettled(Array.from({ length: 4 }, () => a.unwrap(stanza, { resource: `luks2:${volume}` })));
    await expect(a.unwrap(stanza, { resource: `luks2:${volume}`, wait: true, timeoutMs: 100 })).rejects.toMatchObject({
      code: 'ERR_RATE_LIMITED',
    });
  }, 60_000);

  it('per address, for calls without credentials', async () => {
    const answers = await Promise.all(Array.from({ length: 30 }, () => from(h, '127.0.0.2', 'GET', '/v1/health')));
    const limited = answers.filter((a) => a.status === 429);
    expect(limited.length).toBeGreaterThanOrEqual(10 - 1);
    expect(limited[0]!.body.error.code).toBe('ERR_RATE_LIMITED');
    expect(Number(limited[0]!.retryAfter)).toBeGreaterThanOrEqual(1);
    expect((await from(h, '127.0.0.1', 'GET', '/v1/health')).status).toBe(200);
  });

  it('a signature header buys nothing on a path the router does not match to a signed route', async () => {
    // Fake signature headers: only a signature that verifies spares the address its charge.
    const fake = { signature: 'sig1=:AAAA:', 'signature-input': 'sig1=("@method");keyid="dev_x";created=1;nonce="n"' };
    const paths = [
      '/v1/agent/%65nroll',
      '/v1/agent/enroll',
      '//v1/agent/enroll',
      '/v1/agent/enroll/',
      '/v1/agent/ENROLL',
      '/v1/agent/unwrap/',
      '/v1/agent/%75nwrap',
      '/v1/keys/%zz/public',
      '/v1/agent/requests/x?y',
    ];
    for (const [i, path] of paths.entries()) {
      const address = `127.0.1.${i + 1}`;
      const answers: { status: number; body: any }[] = [];
      for (let n = 0; n < 24; n++) answers.push(await from(h, address, 'POST', path, undefined, fake));
      const limited = answers.filter((a) => a.status === 429);
      expect(limited.length, `${path}: ${answers.map((a) => a.status).join(',')}`).toBeGreaterThanOrEqual(3);
      expect(limited[0]!.body).toEqual({ error: { code: 'ERR_RATE_LIMITED', message: expect.stringContaining('address') } });
    }
  });

  it('failed logins spend the address budget; then even a good token from there waits', async () => {
    const bogus = await Promise.all(
      Array.from({ length: 25 }, (_, i) => from(h, '127.0.0.3', 'GET', '/v1/keys', `sct_${String(i).padStart(43, 'x')}`)),
    );
    expect(bogus.filter((a) => a.status === 401).length).toBeGreaterThan(0);
    expect(bogus.every((a) => a.status === 401 || a.status === 429)).toBe(true);
    const good = await from(h, '127.0.0.3', 'GET', '/v1/keys', t.admin);
    expect(good.status).toBe(429);
    expect(good.body.error.code).toBe('ERR_RATE_LIMITED');
    expect((await from(h, '127.0.0.1', 'GET', '/v1/keys', t.admin)).status).toBe(200);
  });
});
