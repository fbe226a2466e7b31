/**
 * `encrypt --broker-key` and `decrypt --agent` as child processes against a broker on PGlite:
 * a releasing policy decrypts; a denying one fails with ERR_DENIED naming the rule, and
 * leaves no output file.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { BrokerAgent } from '../../src/agent/index.js';
import { inspectEnvelope } from '../../src/envelope/index.js';
import { cli, startFixture, type Fixture } from './helpers.js';

let f: Fixture;

beforeAll(async () => {
  f = await startFixture();
}, 180_000);
afterAll(async () => {
  await f?.h.stop();
  if (f) await rm(f.dir, { recursive: true, force: true });
});

describe('envelope broker recipient and agent identity', () => {
  const encrypt = (key: 'here' | 'elsewhere', input: string, output: string) =>
    cli(['encrypt', '--broker-key', f.keys[key].keyId, '--broker', f.h.url, '--ca', f.caFile, input, '-o', output], {
      env: { SECTORCRYPT_BROKER_TOKEN: f.adminToken },
    });

  it('encrypt --broker-key seals to the key; decrypt --agent opens it when the policy releases', async () => {
    const plain = randomBytes(100_000);
    const input = join(f.dir, 'snapshot.bin');
    await writeFile(input, plain);
    const sealed = join(f.dir, 'snapshot.sce');
    const enc = await encrypt('here', input, sealed);
    expect(enc.code, enc.stderr).toBe(0);
    const { stanzas } = await inspectEnvelope(sealed);
    expect(stanzas.map((s) => [s.type, s.args[0], s.args[1]])).toEqual([['broker', f.keys.here.keyId, '1']]);

    const out = join(f.dir, 'snapshot.out');
    const dec = await cli(['decrypt', '--agent', f.stateDir, sealed, '-o', out]);
    expect(dec.code, dec.stderr).toBe(0);
    expect(Buffer.compare(await readFile(out), plain)).toBe(0);
  }, 120_000);

  it('a denying policy: ERR_DENIED with the failing rule in one line, and no output file', async () => {
    const input = join(f.dir, 'other.bin');
    await writeFile(input, 'not for this host');
    const sealed = join(f.dir, 'other.sce');
    expect((await encrypt('elsewhere', input, sealed)).code).toBe(0);
    const out = join(f.dir, 'other.out');
    const dec = await cli(['decrypt', '--agent', f.stateDir, sealed, '-o', out]);
    expect(dec.code).toBe(1);
    const lines = dec.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /^sectorcrypt: release request req_\S+ was denied: policy other-build rule rules\.allOf\[0\]: integrity\.selfHash expected \{"equals":"f{64}"\}, had "[0-9a-f]{64}" \(ERR_DENIED\)$/,
    );
    expect(existsSync(out)).toBe(false);
  }, 120_000);

  it('encrypt --broker-key without a token or broker is refused before any output', async () => {
    const out = join(f.dir, 'never.sce');
    const r = await cli(['encrypt', '--broker-key', f.keys.here.keyId, '--ca', f.caFile, join(f.dir, 'other.bin'), '-o', out], {
      env: { SECTORCRYPT_BROKER_URL: '', SECTORCRYPT_BROKER_TOKEN: '' },
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('ERR_ARGUMENT');
    expect(existsSync(out)).toBe(false);
  }, 60_000);
});

describe('BrokerAgent.load claims (issue 16: a policy on integrity.selfHash)', () => {
  const sealedFor = async (key: 'here' | 'elsewhere') => {
    const { encryptEnvelope } = await import('../../src/envelope/index.js');
    return encryptEnvelope(new TextEncoder().encode('pinned'), { recipients: [{ broker: f.keys[key] }] });
  };

  it("claims: 'auto' releases to this host's build and refuses where the policy pins another hash", async () => {
    const { decryptEnvelope } = await import('../../src/envelope/index.js');
    const agent = await BrokerAgent.load({ stateDir: f.stateDir, claims: 'auto' });
    try {
      expect(new TextDecoder().decode(await decryptEnvelope(await sealedFor('here'), { identities: [agent] }))).toBe('pinned');
      const err = await decryptEnvelope(await sealedFor('elsewhere'), { identities: [agent] }).catch(
        (e: unknown) => e as { code: string; reasons: { claim: string; actual: unknown }[] },
      );
      expect((err as { code: string }).code).toBe('ERR_DENIED');
      expect((err as { reasons: unknown[] }).reasons).toEqual([
        expect.objectContaining({ policy: 'other-build', claim: 'integrity.selfHash', actual: f.selfHash }),
      ]);
    } finally {
      agent.close();
    }
  }, 60_000);

  it('a collectors config becomes a provider; without claims the selfHash leaf is missing', async () => {
    const { decryptEnvelope } = await import('../../src/envelope/index.js');
    const withConfig = await BrokerAgent.load({ stateDir: f.stateDir, claims: { collectors: ['selfHash'] } });
    const bare = await BrokerAgent.load({ stateDir: f.stateDir });
    try {
      const sealed = await sealedFor('here');
      expect(new TextDecoder().decode(await decryptEnvelope(sealed, { identities: [withConfig] }))).toBe('pinned');
      const err = (await decryptEnvelope(sealed, { identities: [bare] }).catch((e: unknown) => e)) as {
        code: string;
        reasons: { actual: unknown }[];
      };
      expect(err.code).toBe('ERR_DENIED');
      expect(err.reasons[0]!.actual).toBe('missing');
    } finally {
      withConfig.close();
      bare.close();
    }
    await expect(BrokerAgent.load({ stateDir: f.stateDir, claims: { collectors: ['nope' as 'selfHash'] } })).rejects.toMatchObject({
      code: 'ERR_ARGUMENT',
    });
  }, 60_000);
});
