/** Property-based tests of the policy engine (fast-check). */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { evaluateRules, validatePolicy, type Rule } from '../../../src/broker/policy/index.js';
import { anchoredRegExp, unsafePatternReason } from '../../../src/broker/policy/regex.js';
import { EXAMPLE_POLICY, NOW } from './example.js';

const claimPath = fc.constantFrom(
  'identity.region',
  'identity.bootTime',
  'identity.n',
  'integrity.firewall',
  'integrity.antivirus',
  'request.ip',
  'attested.gce.google.compute_engine.instance_id',
  'attested.gce.sub',
  'resource',
  'device.groups',
);
const scalar = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.integer(),
  fc.boolean(),
  fc.constant(null),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
);

/** A random valid leaf, one per operator. */
const leaf: fc.Arbitrary<Rule> = fc.oneof(
  fc.record({ claim: claimPath, equals: scalar }),
  fc.record({ claim: claimPath, notEquals: scalar }),
  fc.record({ claim: claimPath, in: fc.array(scalar, { minLength: 1, maxLength: 4 }) }),
  fc.record({ claim: claimPath, notIn: fc.array(scalar, { minLength: 1, maxLength: 4 }) }),
  fc.record({ claim: claimPath, less: fc.integer() }),
  fc.record({ claim: claimPath, lessOrEquals: fc.integer() }),
  fc.record({ claim: claimPath, greater: fc.integer() }),
  fc.record({ claim: claimPath, greaterOrEquals: fc.integer() }),
  fc.record({ claim: claimPath, exists: fc.boolean() }),
  fc.record({ claim: claimPath, matches: fc.constantFrom('eu-.*', '[a-z]+', 'clean|dirty', '\\d{1,3}') }),
  fc.record({ claim: claimPath, maxAgeSeconds: fc.nat({ max: 100_000 }) }),
  fc.record({ claim: claimPath, cidr: fc.constantFrom('10.66.0.0/16', '0.0.0.0/0', '2001:db8::/32', '::/0') }),
) as fc.Arbitrary<Rule>;

/** Random rule trees up to depth 4 (well inside the limit of 8). */
const { tree } = fc.letrec<{ tree: Rule }>((tie) => ({
  tree: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    leaf,
    fc.record({ allOf: fc.array(tie('tree'), { minLength: 1, maxLength: 3 }) }),
    fc.record({ anyOf: fc.array(tie('tree'), { minLength: 1, maxLength: 3 }) }),
    fc.record({ not: tie('tree') }),
  ) as fc.Arbitrary<Rule>,
}));
const depthOk = (r: Rule): number =>
  'allOf' in r
    ? 1 + Math.max(...r.allOf.map(depthOk))
    : 'anyOf' in r
      ? 1 + Math.max(...r.anyOf.map(depthOk))
      : 'not' in r
        ? 1 + depthOk(r.not)
        : 1;
const rules = tree.filter((r) => depthOk(r) <= 7);

/** Claim objects with the usual roots, plus anything at all. */
const claims = fc.oneof(
  fc.record(
    {
      identity: fc.record(
        {
          region: fc.oneof(scalar, fc.constant('eu-west-1')),
          bootTime: fc.oneof(
            scalar,
            fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
          ),
          n: scalar,
        },
        { requiredKeys: [] },
      ),
      integrity: fc.dictionary(fc.constantFrom('firewall', 'antivirus'), fc.jsonValue()),
      request: fc.record({ ip: fc.oneof(fc.ipV4(), fc.ipV6(), fc.string()) }, { requiredKeys: [] }),
      attested: fc.jsonValue(),
      resource: fc.jsonValue(),
      device: fc.jsonValue(),
    },
    { requiredKeys: [] },
  ),
  fc.dictionary(fc.string(), fc.jsonValue()),
) as fc.Arbitrary<Record<string, unknown>>;

describe('policy properties', () => {
  test('generated rule trees validate, and random claims never crash the evaluator', () => {
    fc.assert(
      fc.property(rules, claims, (r, c) => {
        const p = validatePolicy({ ...EXAMPLE_POLICY, rules: r });
        const out = evaluateRules('p', p.rules, c, NOW);
        expect(typeof out.allowed).toBe('boolean');
        // A refusal always says why; every reason names a leaf of this policy.
        if (!out.allowed) expect(out.trace.length).toBeGreaterThan(0);
        for (const reason of out.trace) expect(reason.rule.startsWith('rules')).toBe(true);
      }),
      { numRuns: 400 },
    );
  });

  test('not(not(x)) decides as x, with the same failed leaves', () => {
    fc.assert(
      fc.property(rules, claims, (r, c) => {
        const plain = evaluateRules('p', r, c, NOW);
        const doubled = evaluateRules('p', { not: { not: r } }, c, NOW);
        expect(doubled.allowed).toBe(plain.allowed);
        expect(doubled.trace.map((x) => ({ ...x, rule: x.rule.replace(/^rules\.not\.not/, 'rules') }))).toEqual(plain.trace);
        expect(evaluateRules('p', { not: r }, c, NOW).allowed).toBe(!plain.allowed);
      }),
      { numRuns: 400 },
    );
  });

  test('validatePolicy throws nothing but ERR_POLICY_INVALID on random JSON', () => {
    const nearPolicy = fc.record(
      {
        name: fc.oneof(fc.string(), fc.jsonValue()),
        keys: fc.oneof(fc.array(fc.string()), fc.jsonValue()),
        devices: fc.oneof(fc.record({ groups: fc.array(fc.string()) }), fc.jsonValue()),
        rules: fc.oneof(rules as fc.Arbitrary<unknown>, fc.jsonValue(), fc.record({ claim: fc.string(), matches: fc.string() })),
        approval: fc.oneof(
          fc.record({ mode: fc.constantFrom('auto', 'manual'), approvers: fc.integer() }, { requiredKeys: ['mode'] }),
          fc.jsonValue(),
        ),
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(
        fc.oneof(
          fc.jsonValue({ maxDepth: 12 }),
          nearPolicy,
          fc.string().map((s) => JSON.parse(JSON.stringify({ ...EXAMPLE_POLICY, [s]: 1 }))),
        ),
        (json) => {
          try {
            const p = validatePolicy(json);
            // What is accepted round-trips through JSON unchanged (it is what the store keeps).
            expect(validatePolicy(JSON.parse(JSON.stringify(p)))).toEqual(p);
          } catch (e) {
            expect((e as { code?: string }).code).toBe('ERR_POLICY_INVALID');
            expect((e as { path?: string }).path).toEqual(expect.any(String));
          }
        },
      ),
      { numRuns: 1000 },
    );
  });

  test('matches: any pattern the validator accepts runs quickly on adversarial strings', () => {
    const atom = fc.constantFrom('a', 'a*', 'a+', 'a?', '\\w+', '.*', '(a|b)', '(ab)+', '[a-z]{0,40}', 'x');
    fc.assert(
      fc.property(fc.array(atom, { minLength: 1, maxLength: 6 }), (parts) => {
        const pattern = parts.join('');
        let p;
        try {
          p = validatePolicy({ ...EXAMPLE_POLICY, rules: { claim: 'identity.s', matches: pattern } });
        } catch {
          return; // refused: fine
        }
        // No timing assertion (the machine is shared); the run itself is the check: an
        // exponential pattern here would hang the test until its timeout.
        evaluateRules('p', p.rules, { identity: { s: 'a'.repeat(255) + '!' } }, NOW);
      }),
      { numRuns: 300 },
    );
  });
});

describe('pattern checker', () => {
  test('never throws on any string; what it accepts compiles on its own and anchored', () => {
    const alphabet = fc.constantFrom(...'()|*+?{}[]\\^$.ab01,<>=!:kdwpu-'.split(''));
    fc.assert(
      fc.property(
        fc.array(alphabet, { maxLength: 24 }).map((a) => a.join('')),
        (pattern) => {
          const why = unsafePatternReason(pattern);
          if (why !== null) return;
          expect(() => new RegExp(pattern, 'u')).not.toThrow();
          expect(anchoredRegExp(pattern).source).toBe(`^(?:${pattern})$`);
        },
      ),
      { numRuns: 3000 },
    );
  });
});
