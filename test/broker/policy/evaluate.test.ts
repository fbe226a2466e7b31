import { describe, expect, test } from 'vitest';
import { evaluateRules, lookupClaim, MISSING, validatePolicy, type Rule } from '../../../src/broker/policy/index.js';
import { EXAMPLE_POLICY, goodClaims, NOW } from './example.js';

const rule = (r: unknown): Rule => validatePolicy({ ...EXAMPLE_POLICY, rules: r }).rules;
const check = (r: unknown, claims: Record<string, unknown>, now = NOW) => evaluateRules('p', rule(r), claims, now).allowed;

describe('claim lookup', () => {
  const claims = {
    identity: { region: 'eu-west-1', nested: { a: { b: 1 } } },
    attested: {
      gce: { google: { compute_engine: { instance_id: '42' } } },
      flat: { 'google.compute_engine.instance_id': '43' },
      k8s: { 'kubernetes.io': { pod: { name: 'web-0' } } },
    },
  };
  test('nested keys, literal dotted keys under attested.<issuer>, and mixtures', () => {
    expect(lookupClaim(claims, 'identity.region')).toBe('eu-west-1');
    expect(lookupClaim(claims, 'identity.nested.a.b')).toBe(1);
    expect(lookupClaim(claims, 'attested.gce.google.compute_engine.instance_id')).toBe('42');
    expect(lookupClaim(claims, 'attested.flat.google.compute_engine.instance_id')).toBe('43');
    expect(lookupClaim(claims, 'attested.k8s.kubernetes.io.pod.name')).toBe('web-0');
  });
  test('absent paths and inherited properties are missing', () => {
    expect(lookupClaim(claims, 'identity.zone')).toBe(MISSING);
    expect(lookupClaim(claims, 'identity.region.length')).toBe(MISSING);
    expect(lookupClaim(claims, 'identity.constructor')).toBe(MISSING);
    expect(lookupClaim(claims, 'identity.__proto__')).toBe(MISSING);
    expect(lookupClaim(claims, 'attested.gce.toString')).toBe(MISSING);
    expect(lookupClaim(claims, 'attested.other.x')).toBe(MISSING);
    // Dotted literal keys are only searched under attested.<issuer>.
    expect(lookupClaim({ identity: { 'a.b': 1 } }, 'identity.a.b')).toBe(MISSING);
  });
});

describe('operators', () => {
  const c = { identity: { s: 'eu-west-1', n: 5, t: true, z: null, ip: '10.66.1.2', ip6: '2001:db8::7', mapped: '::ffff:10.66.9.9' } };
  test.each([
    [{ claim: 'identity.s', equals: 'eu-west-1' }, true],
    [{ claim: 'identity.n', equals: '5' }, false], // no coercion
    [{ claim: 'identity.t', equals: true }, true],
    [{ claim: 'identity.z', equals: null }, true],
    [{ claim: 'identity.s', notEquals: 'x' }, true],
    [{ claim: 'identity.s', notEquals: 'eu-west-1' }, false],
    [{ claim: 'identity.s', in: ['a', 'eu-west-1'] }, true],
    [{ claim: 'identity.s', in: ['a'] }, false],
    [{ claim: 'identity.s', notIn: ['a'] }, true],
    [{ claim: 'identity.n', notIn: [5] }, false],
    [{ claim: 'identity.n', less: 6 }, true],
    [{ claim: 'identity.n', less: 5 }, false],
    [{ claim: 'identity.n', lessOrEquals: 5 }, true],
    [{ claim: 'identity.n', greater: 5 }, false],
    [{ claim: 'identity.n', greaterOrEquals: 5 }, true],
    [{ claim: 'identity.s', greater: 1 }, false], // a string is not a number
    [{ claim: 'identity.s', exists: true }, true],
    [{ claim: 'identity.z', exists: true }, true], // null is present
    [{ claim: 'identity.s', exists: false }, false],
    [{ claim: 'identity.s', matches: 'eu-(west|central)-1' }, true],
    [{ claim: 'identity.s', matches: 'eu' }, false],
    [{ claim: 'identity.n', matches: '5' }, false],
    [{ claim: 'identity.ip', cidr: '10.66.0.0/16' }, true],
    [{ claim: 'identity.ip', cidr: '10.67.0.0/16' }, false],
    [{ claim: 'identity.mapped', cidr: '10.66.0.0/16' }, true],
    [{ claim: 'identity.ip6', cidr: '2001:db8::/32' }, true],
    [{ claim: 'identity.ip6', cidr: '2001:db9::/32' }, false],
    [{ claim: 'identity.ip', cidr: '2001:db8::/32' }, false],
    [{ claim: 'identity.s', cidr: '0.0.0.0/0' }, false],
  ])('%j is %s', (r, expected) => {
    expect(check(r, c)).toBe(expected);
  });

  test('matches refuses claims longer than 256 characters', () => {
    expect(check({ claim: 'identity.s', matches: 'a*' }, { identity: { s: 'a'.repeat(256) } })).toBe(true);
    expect(check({ claim: 'identity.s', matches: 'a*' }, { identity: { s: 'a'.repeat(257) } })).toBe(false);
  });

  test('maxAgeSeconds takes RFC 3339 times and Unix seconds, and refuses far-future times', () => {
    const r = { claim: 'identity.boot', maxAgeSeconds: 900 };
    const at = (boot: unknown) => check(r, { identity: { boot } });
    const unix = NOW.getTime() / 1000;
    expect(at('2026-11-30T11:45:00Z')).toBe(true);
    expect(at('2026-11-30T11:44:59Z')).toBe(false);
    expect(at('2026-11-30T12:45:00+01:00')).toBe(true);
    expect(at('2026-11-30T11:50:00.123456Z')).toBe(true);
    expect(at(unix - 900)).toBe(true);
    expect(at(unix - 901)).toBe(false);
    expect(at(unix + 200)).toBe(true); // within the clock skew
    expect(at(unix + 400)).toBe(false);
    expect(at('2026-02-30T11:50:00Z')).toBe(false);
    expect(at('yesterday')).toBe(false);
    expect(at('2026-11-30')).toBe(false);
  });

  test('a missing claim makes every operator false except exists: false', () => {
    for (const r of [
      { claim: 'identity.x', equals: 'a' },
      { claim: 'identity.x', notEquals: 'a' },
      { claim: 'identity.x', notIn: ['a'] },
      { claim: 'identity.x', less: 1 },
      { claim: 'identity.x', exists: true },
    ]) {
      const out = evaluateRules('p', rule(r), {}, NOW);
      expect(out.allowed).toBe(false);
      expect(out.trace).toEqual([
        { policy: 'p', rule: 'rules', claim: 'identity.x', expected: { [Object.keys(r)[1]!]: Object.values(r)[1] }, actual: 'missing' },
      ]);
    }
    expect(check({ claim: 'identity.x', exists: false }, {})).toBe(true);
  });
});

describe('evaluateRules on docs/policies.md example', () => {
  test('good claims are allowed; only the losing anyOf branch is in the trace', () => {
    const out = evaluateRules('prod', rule(EXAMPLE_POLICY.rules), goodClaims(), NOW);
    expect(out.allowed).toBe(true);
    expect(out.trace.map((r) => [r.rule, r.actual])).toEqual([['rules.allOf[3].anyOf[1]', 'missing']]);
  });

  test('the trace names every failed leaf, with its path, expectation and actual value', () => {
    const claims = goodClaims();
    (claims.identity as Record<string, unknown>).region = 'us-east-1';
    delete (claims.integrity as Record<string, unknown>).antivirus;
    (claims.request as Record<string, unknown>).ip = '10.66.4.5';
    const out = evaluateRules('prod', rule(EXAMPLE_POLICY.rules), claims, NOW);
    expect(out.allowed).toBe(false);
    expect(out.trace).toEqual([
      {
        policy: 'prod',
        rule: 'rules.allOf[0]',
        claim: 'identity.region',
        expected: { in: ['eu-west-1', 'eu-central-1'] },
        actual: 'us-east-1',
      },
      { policy: 'prod', rule: 'rules.allOf[3].anyOf[0]', claim: 'integrity.antivirus', expected: { equals: 'clean' }, actual: 'missing' },
      {
        policy: 'prod',
        rule: 'rules.allOf[3].anyOf[1]',
        claim: 'attested.gce.google.compute_engine.instance_id',
        expected: { exists: true },
        actual: 'missing',
      },
      { policy: 'prod', rule: 'rules.allOf[4].not', claim: 'request.ip', expected: { not: { cidr: '10.66.0.0/16' } }, actual: '10.66.4.5' },
    ]);
  });

  test('an attestation satisfies the anyOf in place of the antivirus claim', () => {
    const claims = goodClaims();
    delete (claims.integrity as Record<string, unknown>).antivirus;
    claims.attested = { gce: { google: { compute_engine: { instance_id: '123' } } } };
    const out = evaluateRules('prod', rule(EXAMPLE_POLICY.rules), claims, NOW);
    expect(out.allowed).toBe(true);
    // The losing branch still shows in the trace, for the audit record.
    expect(out.trace.map((r) => r.rule)).toEqual(['rules.allOf[3].anyOf[0]']);
  });

  test('not inverts, and a double not is the identity', () => {
    const leaf = { claim: 'identity.region', equals: 'eu-west-1' };
    const claims = goodClaims();
    expect(check({ not: leaf }, claims)).toBe(false);
    expect(check({ not: { not: leaf } }, claims)).toBe(true);
    const out = evaluateRules('p', rule({ not: { not: { not: leaf } } }), claims, NOW);
    expect(out.trace[0]!.expected).toEqual({ not: { equals: 'eu-west-1' } });
  });
});
