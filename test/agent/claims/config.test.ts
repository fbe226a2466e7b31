/**
 * The claims config is checked strictly (an unknown key is ERR_ARGUMENT naming it), 'auto'
 * picks every built-in collector and no command, and collectClaims runs the chosen
 * collectors together, nesting the claims as a policy reads them.
 */
import { describe, expect, it } from 'vitest';
import {
  BUILT_IN_COLLECTORS,
  builtInClaimPaths,
  claimsProvider,
  collectClaims,
  collectorsFor,
  parseClaimsConfig,
} from '../../../src/agent/claims/index.js';
import type { Collector } from '../../../src/agent/claims/index.js';

const bad = (value: unknown, message: string | RegExp) =>
  expect(() => parseClaimsConfig(value)).toThrow(
    expect.objectContaining({ code: 'ERR_ARGUMENT', message: expect.stringMatching(message) }),
  );

const exec = { claim: 'integrity.antivirus', argv: ['/usr/bin/av-status'], exitCodes: { '0': 'clean' } };

describe('claims config', () => {
  it('names the unknown key, at any depth', () => {
    bad({ collector: ['bootTime'] }, /unknown key "collector"/);
    bad({ exec: [{ ...exec, shell: true }] }, /\/exec\/0: unknown key "shell"/);
    bad({ attestations: { providers: ['aws'], region: 'x' } }, /\/attestations: unknown key "region"/);
  });

  it('refuses wrong types and values', () => {
    bad({ collectors: ['bootTime', 'uptime'] }, /collectors/);
    bad({ collectors: 'all' }, /collectors/);
    bad([], /must be an object/);
    bad({ exec: [{ ...exec, claim: 'device.id' }] }, /\/exec\/0\/claim: must match/);
    bad({ exec: [{ ...exec, argv: [] }] }, /\/exec\/0\/argv: needs at least 1/);
    bad({ exec: [{ ...exec, timeoutMs: 0 }] }, /timeoutMs: at least 1/);
    bad({ exec: [{ ...exec, exitCodes: { x: 1 } }] }, /key "x" is not allowed/);
    bad({ exec: [{ ...exec, exitCodes: { '256': 1 } }] }, /key "256" is not allowed/);
    bad({ exec: [{ ...exec, jsonPointer: '/a' }] }, /exactly one of "exitCodes" and "jsonPointer"/);
    bad({ exec: [{ claim: 'integrity.x', argv: ['/bin/x'] }] }, /exactly one of/);
    bad({ exec: [{ ...exec, argv: ['av-status'] }] }, /absolute path/);
    bad({ exec: [exec, exec] }, /produced twice/);
    bad({ attestations: { providers: ['gcp'] } }, /needs "gcpAudience"/);
    bad({ attestations: { providers: ['aws'], metadataBaseUrlForTests: 'http://169.254.169.254' } }, /metadataBaseUrlForTests: must match/);
  });

  it('accepts "auto", a list, and exec commands', () => {
    expect(parseClaimsConfig('auto')).toEqual({ collectors: 'auto' });
    expect(parseClaimsConfig({})).toEqual({});
    const config = {
      collectors: ['bootTime', 'os'],
      exec: [exec, { claim: 'integrity.patched', argv: ['/bin/x', '--json'], jsonPointer: '/ok', timeoutMs: 500 }],
    };
    expect(parseClaimsConfig(config)).toEqual(config);
  });

  it("'auto' is every built-in collector and no command", () => {
    expect(collectorsFor('auto').map((c) => c.name)).toEqual([...BUILT_IN_COLLECTORS]);
    expect(collectorsFor({ exec: [exec] }).map((c) => c.name)).toEqual([...BUILT_IN_COLLECTORS, 'exec:integrity.antivirus']);
  });

  it('refuses a command that would shadow a built-in claim', () => {
    expect(builtInClaimPaths()).toContain('integrity.firewall');
    expect(() => collectorsFor({ exec: [{ ...exec, claim: 'integrity.firewall' }] })).toThrow(
      expect.objectContaining({ code: 'ERR_ARGUMENT' }),
    );
  });
});

describe('collectClaims', () => {
  it('nests claims, lists each source, and reports what failed', async () => {
    const config = {
      collectors: ['bootTime', 'os', 'kernel'],
      exec: [
        { claim: 'integrity.antivirus', argv: [process.execPath, '-e', 'process.exit(0)'], exitCodes: { '0': 'clean' } },
        { claim: 'integrity.patch.level', argv: [process.execPath, '-e', 'process.exit(9)'], exitCodes: { '0': 1 } },
      ],
    };
    const result = await collectClaims(config);
    expect(result.claims).toMatchObject({
      identity: { bootTime: expect.any(String), kernel: expect.any(String), os: { id: expect.any(String) } },
      integrity: { antivirus: 'clean' },
    });
    expect(result.sources.map((s) => s.claim)).toEqual(
      expect.arrayContaining(['identity.bootTime', 'identity.kernel', 'identity.os.id', 'integrity.antivirus']),
    );
    expect(result.sources.every((s) => s.trust === 'agent' && s.source.length > 0)).toBe(true);
    expect(result.sources.find((s) => s.claim === 'integrity.antivirus')?.source).toBe(`exec ${process.execPath} -e process.exit(0)`);
    expect(result.unavailable).toEqual([
      {
        collector: 'exec:integrity.patch.level',
        claims: ['integrity.patch.level'],
        reason: expect.stringContaining('exit code 9 is not mapped'),
      },
    ]);
  });

  it('turns a collector that throws into an unavailable entry', async () => {
    const broken: Collector = {
      name: 'broken',
      sources: [{ claim: 'identity.x', source: 'test', trust: 'agent' }],
      collect: () => Promise.reject(new Error('boom')),
    };
    const result = await collectClaims('auto', [broken]);
    expect(result).toEqual({
      claims: {},
      sources: [],
      unavailable: [{ collector: 'broken', claims: ['identity.x'], reason: 'failed: boom' }],
    });
  });

  it('refuses a bad config before running anything', async () => {
    await expect(collectClaims({ nope: 1 })).rejects.toMatchObject({ code: 'ERR_ARGUMENT' });
  });
});

describe('claimsProvider (BrokerAgent.load({ claims }))', () => {
  it('checks the config at once and collects on every call', async () => {
    expect(() => claimsProvider({ bogus: true } as never)).toThrow(expect.objectContaining({ code: 'ERR_ARGUMENT' }));
    const provide = claimsProvider({ collectors: ['kernel'] });
    expect(await provide()).toEqual({ identity: { kernel: expect.any(String) } });
  });
});
