/**
 * Property-based fuzzing of every endpoint's body (fast-check): whatever JSON, or non-JSON,
 * arrives, the answer is never a 5xx and every refusal has the error shape with an ERR_ code.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { makeTenant, type Harness } from '../helpers.js';

const ZERO_ID = '00000000-0000-0000-0000-000000000000';

export function fuzzSuite(harness: () => Harness): void {
  describe('fuzzed bodies', () => {
    let h: Harness;
    let t: Awaited<ReturnType<typeof makeTenant>>;
    let keyId: string;
    beforeAll(async () => {
      h = harness();
      t = await makeTenant(h);
      keyId = (await h.client.call('POST', '/v1/keys', { token: t.admin, body: { name: 'fuzz' } })).body.keyId;
    });

    const endpoints = (): [string, string, string | undefined][] => [
      ['POST', '/v1/tenants', h.operatorToken],
      ['POST', '/v1/users', t.admin],
      ['POST', '/v1/tokens', t.admin],
      ['POST', '/v1/keys', t.admin],
      ['POST', `/v1/keys/${keyId}/retire`, t.admin],
      ['POST', `/v1/keys/${keyId}/rewrap`, t.admin],
      ['POST', '/v1/enrollment-tokens', t.admin],
      ['POST', '/v1/agent/enroll', undefined],
      ['POST', '/v1/agent/unwrap', undefined],
      ['PUT', '/v1/policies/fuzz', t.admin],
      ['POST', '/v1/issuers', t.admin],
      ['POST', `/v1/requests/req_${ZERO_ID}/approve`, t.approver1],
      ['POST', `/v1/devices/dev_${ZERO_ID}/revoke`, t.admin],
    ];

    function check(status: number, body: unknown): void {
      expect(status).toBeLessThan(500);
      if (status >= 400) {
        expect(Object.keys(body as object)).toEqual(['error']);
        expect((body as { error: { code: string } }).error.code).toMatch(/^ERR_[A-Z_]+$/);
      }
    }

    it('JSON bodies of any shape', async () => {
      // Objects shaped like the real bodies, with fields of the wrong kind, as well as any JSON.
      const near = fc.dictionary(
        fc.constantFrom('name', 'roles', 'admin', 'groups', 'uses', 'kind', 'version', 'enc', 'ciphertext', 'resource', 'token', 'publicKey', 'proof', 'device', 'keys', 'rules', 'approval', 'jwks', 'issuer', 'replyKey', 'claims', 'expiresInSeconds'),
        fc.jsonValue({ maxDepth: 3 }),
      );
      await fc.assert(
        fc.asyncProperty(fc.integer({ min: 0, max: 12 }), fc.oneof(near, fc.jsonValue({ maxDepth: 4 })), async (i, body) => {
          const [method, path, token] = endpoints()[i]!;
          const r = await h.client.call(method, path, { token, body });
          check(r.status, r.body);
        }),
        { numRuns: 150 },
      );
    });

    it('bytes that are not JSON, and other media types', async () => {
      await fc.assert(
        fc.asyncProperty(fc.integer({ min: 0, max: 12 }), fc.string({ maxLength: 200 }), fc.constantFrom('application/json', 'text/plain', 'application/x-www-form-urlencoded'), async (i, raw, contentType) => {
          const [method, path, token] = endpoints()[i]!;
          const r = await h.client.call(method, path, { token, raw, contentType });
          check(r.status, r.body);
        }),
        { numRuns: 80 },
      );
    });
  });
}
