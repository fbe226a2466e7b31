/**
 * Property-based fuzzing of every endpoint's body (fast-check): whatever JSON, or non-JSON,
 * arrives, the answer is never a 5xx and every refusal has the error shape with an ERR_ code.
 * Also text the database cannot store (U+0000, lone surrogates) as values and keys, numbers
 * beyond its integers, and dates beyond its range, in bodies and query strings.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { makeTenant, type Harness } from '../helpers.js';

const ZERO_ID = '00000000-0000-0000-0000-000000000000';

/** Percent-encoding of any UTF-16 string: a lone surrogate as its three WTF-8 bytes (%ED...), as a client could send. */
function pct(s: string): string {
  let out = '';
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    out +=
      cp >= 0xd800 && cp <= 0xdfff
        ? `%ED%${(0x80 | ((cp >> 6) & 0x3f)).toString(16).toUpperCase()}%${(0x80 | (cp & 0x3f)).toString(16).toUpperCase()}`
        : encodeURIComponent(ch);
  }
  return out;
}

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
      ['POST', '/v1/audit/archive', t.auditor],
      ['POST', '/v1/invitations/redeem', undefined],
      ['POST', `/v1/tenants/tn_${ZERO_ID}/admins`, h.operatorToken],
      ['POST', `/v1/users/usr_${ZERO_ID}/roles`, t.admin],
      ['POST', `/v1/users/usr_${ZERO_ID}/disable`, t.admin],
      ['POST', `/v1/users/usr_${ZERO_ID}/invitation`, t.admin],
      ['POST', `/v1/actions/act_${ZERO_ID}/cancel`, t.admin],
      ['POST', `/v1/enrollment-tokens/enr_${ZERO_ID}/revoke`, t.admin],
    ];
    const LAST = 20; // endpoints().length - 1

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
        fc.constantFrom(
          'name',
          'roles',
          'admin',
          'groups',
          'uses',
          'kind',
          'version',
          'enc',
          'ciphertext',
          'resource',
          'token',
          'publicKey',
          'proof',
          'device',
          'keys',
          'rules',
          'approval',
          'jwks',
          'issuer',
          'replyKey',
          'claims',
          'expiresInSeconds',
          'code',
        ),
        fc.jsonValue({ maxDepth: 3 }),
      );
      await fc.assert(
        fc.asyncProperty(fc.integer({ min: 0, max: LAST }), fc.oneof(near, fc.jsonValue({ maxDepth: 4 })), async (i, body) => {
          const [method, path, token] = endpoints()[i]!;
          const r = await h.client.call(method, path, { token, body });
          check(r.status, r.body);
        }),
        { numRuns: 150 },
      );
    });

    it('bytes that are not JSON, and other media types', async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.integer({ min: 0, max: LAST }),
          fc.string({ maxLength: 200 }),
          fc.constantFrom('application/json', 'text/plain', 'application/x-www-form-urlencoded'),
          async (i, raw, contentType) => {
            const [method, path, token] = endpoints()[i]!;
            const r = await h.client.call(method, path, { token, raw, contentType });
            check(r.status, r.body);
          },
        ),
        { numRuns: 80 },
      );
    });

    /** Any UTF-16 code units, lone surrogates and NUL included, and often one of those. */
    const units = fc.oneof(
      fc.array(fc.integer({ min: 0, max: 0xffff }), { maxLength: 12 }).map((codes) => String.fromCharCode(...codes)),
      fc.constantFrom('\u0000', '\ud800', '\udfff', 'a\u0000b', '\ude00\ud83d', '😀'),
    );
    /** Numbers at and beyond the edges of PostgreSQL's integer and bigint, and of a double. */
    const edgeNumbers = fc.oneof(
      fc.constantFrom(0, -1, 2 ** 31, 2 ** 53, 2 ** 63, 1e300, -1e300, 1.5, Number.MAX_SAFE_INTEGER + 2),
      fc.double({ noNaN: true, noDefaultInfinity: true }),
      fc.integer(),
    );

    it('text the database cannot store, as values and as keys, at any depth', async () => {
      const fields = fc.constantFrom(
        'name',
        'roles',
        'admin',
        'groups',
        'kind',
        'resource',
        'token',
        'device',
        'rules',
        'approval',
        'jwks',
        'issuer',
        'audience',
        'claims',
        'comment',
        'keys',
      );
      const value = fc.anything({ key: units, values: [units, edgeNumbers, fc.boolean(), fc.constant(null)], maxDepth: 3 });
      await fc.assert(
        fc.asyncProperty(
          fc.integer({ min: 0, max: LAST }),
          fc.dictionary(fc.oneof(fields, units), value, { maxKeys: 5 }),
          async (i, body) => {
            const [method, path, token] = endpoints()[i]!;
            const r = await h.client.call(method, path, { token, body });
            check(r.status, r.body);
          },
        ),
        { numRuns: 150 },
      );
    });

    it('numbers and dates beyond what the database takes, in bodies and query strings', async () => {
      const year = fc
        .integer({ min: -300_000, max: 300_000 })
        .map((y) => (y < 0 ? `-${String(-y).padStart(6, '0')}` : y > 9999 ? `+${String(y).padStart(6, '0')}` : String(y).padStart(4, '0')));
      const date = fc
        .tuple(year, fc.integer({ min: 0, max: 13 }), fc.integer({ min: 0, max: 32 }), fc.boolean())
        .map(([y, m, d, time]) => `${y}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}${time ? 'T25:61:00Z' : ''}`);
      const queryValue = fc.oneof(date, fc.bigInt({ min: 0n, max: 10n ** 30n }).map(String), units, edgeNumbers.map(String));
      const gets = (v: string) => [
        `/v1/audit/segment?before=${v}`,
        `/v1/audit?after=${v}`,
        `/v1/audit?limit=${v}`,
        `/v1/audit/proof?seq=${v}&size=${v}`,
        `/v1/audit/consistency?from=1&to=${v}`,
        `/v1/requests?limit=${v}`,
        `/v1/keys/${keyId}/public?version=${v}`,
      ];
      await fc.assert(
        fc.asyncProperty(fc.integer({ min: 0, max: 6 }), queryValue, async (i, v) => {
          const path = gets(pct(v))[i]!;
          const token = path.startsWith('/v1/audit') ? t.auditor : t.admin;
          const r = await h.client.call('GET', path, { token });
          check(r.status, r.body);
        }),
        { numRuns: 150 },
      );
      const numberFields = fc.constantFrom('through', 'version', 'uses', 'expiresInSeconds');
      await fc.assert(
        fc.asyncProperty(
          fc.integer({ min: 0, max: LAST }),
          numberFields,
          fc.oneof(
            edgeNumbers.map((n) => JSON.stringify(n)),
            fc.constantFrom('1e400', '-1e400', '9223372036854775808', '1e-400'),
          ),
          async (i, field, n) => {
            const [method, path, token] = endpoints()[i]!;
            const r = await h.client.call(method, path, { token, raw: `{"${field}":${n}}` });
            check(r.status, r.body);
          },
        ),
        { numRuns: 100 },
      );
    });
  });
}
