/**
 * TPM 2.0 attestation end to end (run on each store), with real parts: swtpm made by
 * swtpm_setup --create-ek-cert (its local CA plays the TPM manufacturer), tpm2-tools driven by
 * the agent, event logs built by the test and extended into the swtpm's PCRs. The cases of
 * issue 25 point 5, each as an attacker would try them: an EK certificate from another CA, an
 * AK that is not in the certified TPM, a spent activation, the same TPM enrolled twice, a
 * replayed quote, a quote from another TPM, a PCR that changed, a tampered event log, a device
 * without a TPM (or with one but no quote) under a TPM policy.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BrokerAgent } from '../../../src/agent/index.js';
import { TpmDriver, type AkRecord } from '../../../src/agent/attest/tpm/index.js';
import { quoteQualifyingData } from '../../../src/agent/attest/tpm/qualifying-data.js';
import { readState } from '../../../src/agent/state.js';
import { signEnrollment } from '../../../src/agent/enroll-proof.js';
import { PinnedHttps } from '../../../src/agent/https.js';
import { signRequest } from '../../../src/http-signature/index.js';
import { ed25519SigningKey } from '../../../src/keys/ed25519.js';
import { hpkeSeal } from '../../../src/keys/hpke.js';
import { releaseBinding } from '../../../src/protocol/tpm.js';
import type { SectorCryptError } from '../../../src/errors.js';
import { makeTenant, operatorAdmin, type Harness } from '../helpers.js';
import { CLI } from '../../entry.js';
import { execFile } from 'node:child_process';
import { evaluateRules } from '../../../src/broker/policy/index.js';
import { describeWithTool } from '../../tools.js';
import { makeSwtpmCa, startSwtpm, tpmToolsMissing, type Swtpm, type SwtpmCa } from '../../tpm/swtpm.js';
import { bootEvents, eventSha256, imaExtend, imaLog, sha256, uefiLog, type ImaFile, type LogEvent } from '../../tpm/event-logs.js';

const CMDLINE = 'BOOT_IMAGE=/vmlinuz-6.1.0-18-amd64 root=/dev/mapper/vg-root ro quiet lockdown=integrity';
const b64 = (b: Uint8Array) => Buffer.from(b).toString('base64');
const hashOf = (f: ImaFile) => `sha256:${sha256(f.content).toString('hex')}`;

/** A machine: a swtpm with its boot and IMA logs extended into its PCRs, the logs in files. */
interface Machine {
  tpm: Swtpm;
  dir: string;
  logs: { uefi: string; ima: string };
  events: LogEvent[];
  files: ImaFile[];
}

async function machine(ca: SwtpmCa, files: ImaFile[]): Promise<Machine> {
  const tpm = await startSwtpm(ca);
  const dir = await mkdtemp(join(tmpdir(), 'sc-tpm-machine-'));
  const events = [...bootEvents(CMDLINE), { pcr: 16, type: 0x0d, data: Buffer.from('sectorcrypt test event\0') }];
  for (const e of events) await tpm.tool(['tpm2_pcrextend', `${e.pcr}:sha256=${eventSha256(e).toString('hex')}`]);
  for (const f of files) await tpm.tool(['tpm2_pcrextend', `10:sha256=${imaExtend(f).toString('hex')}`]);
  const logs = { uefi: join(dir, 'binary_bios_measurements'), ima: join(dir, 'binary_runtime_measurements') };
  await writeFile(logs.uefi, uefiLog(events));
  await writeFile(logs.ima, imaLog(files));
  return { tpm, dir, logs, events, files };
}

export function tpmSuite(harness: () => Harness): void {
  describeWithTool('swtpm', tpmToolsMissing(), 'TPM 2.0 attestation: enrollment, quotes, claims (swtpm)', () => {
    let h: Harness;
    let t: Awaited<ReturnType<typeof makeTenant>>;
    let ca: SwtpmCa;
    let rogueCa: SwtpmCa;
    let a: Machine; // enrolled by the agent
    let b: Machine; // another genuine TPM of the same manufacturer
    let rogue: Swtpm; // a TPM whose EK certificate comes from a CA nobody trusts
    let keyId: string;
    let publicKey: Uint8Array;
    let enrollToken: string;
    let stateA: string;
    let agentA: BrokerAgent;
    const te = new TextEncoder();
    const volume = randomUUID();
    const files: ImaFile[] = [
      { path: 'boot_aggregate', content: 'aggregate' },
      { path: '/usr/bin/sectorcrypt', content: 'v1 binary' },
      { path: '/usr/lib/x86_64-linux-gnu/libc.so.6', content: 'libc 2.36' },
    ];
    const newer: ImaFile = { path: '/usr/bin/sectorcrypt', content: 'v2 binary' };
    const cleanup: (() => Promise<unknown>)[] = [];

    async function sealLuks2(secret: Uint8Array) {
      const s = await hpkeSeal('x25519', publicKey, te.encode('sectorcrypt-luks2/v1 broker'), te.encode(`${keyId}/1/${volume}`), secret);
      return { keyId, version: 1, enc: s.enc, ciphertext: s.ciphertext };
    }

    async function caught(p: Promise<unknown>): Promise<SectorCryptError & { reasons?: any[]; requestId?: string }> {
      try {
        await p;
      } catch (err) {
        return err as SectorCryptError;
      }
      throw new Error('expected a rejection');
    }

    const stateDir = async () => join(await mkdtemp(join(tmpdir(), 'sc-tpm-agent-')), 'state');

    /** A device's signed call, as an attacker holding its key would send it. */
    async function signedCall(dir: string, method: 'GET' | 'POST', path: string, body?: unknown) {
      const state = await readState(dir);
      const http = new PinnedHttps(h.ca);
      try {
        const url = `${h.url}${path}`;
        const bytes = body === undefined ? new Uint8Array() : new Uint8Array(Buffer.from(JSON.stringify(body)));
        const headers: Record<string, string> = signRequest({
          method,
          url,
          body: bytes,
          keyId: state.device.deviceId,
          secretKey: ed25519SigningKey(state.secretKey),
          nonce: randomBytes(16).toString('base64url'),
        });
        if (body !== undefined) headers['content-type'] = 'application/json';
        return (await http.send(method, url, headers, body === undefined ? undefined : bytes)) as { status: number; body: any };
      } finally {
        http.close();
      }
    }

    /** An enrollment sent by hand: any EK certificate, EK and AK. Returns the answer and a state folder for signed calls. */
    async function rawEnroll(tpm: { ekCertificate: Uint8Array; ekPublic: Uint8Array; akPublic: string }, name: string) {
      const pair = generateKeyPairSync('ed25519');
      const jwk = pair.privateKey.export({ format: 'jwk' });
      const secretKey = new Uint8Array(Buffer.from(jwk.d!, 'base64url'));
      const pub = new Uint8Array(Buffer.from(jwk.x!, 'base64url'));
      const answer = await h.client.call('POST', '/v1/agent/enroll', {
        body: {
          token: enrollToken,
          publicKey: b64(pub),
          proof: b64(signEnrollment(enrollToken, secretKey, pub)),
          device: { name },
          tpm: { ekCertificate: b64(tpm.ekCertificate), ekPublic: b64(tpm.ekPublic), akPublic: tpm.akPublic },
        },
      });
      const dir = await mkdtemp(join(tmpdir(), 'sc-tpm-raw-'));
      if (answer.status === 201) {
        const { writeState } = await import('../../../src/agent/state.js');
        await writeState(dir, {
          secretKey,
          caPem: h.ca,
          device: {
            deviceId: answer.body.deviceId,
            tenantId: answer.body.tenantId,
            url: h.url,
            groups: answer.body.groups,
            publicKey: b64(pub),
          },
        });
      }
      return { answer, dir };
    }

    /** The body of a release with TPM evidence, made by hand. */
    async function releaseBody(
      dir: string,
      driver: TpmDriver,
      ak: AkRecord,
      opts: { challengeFrom?: string; bindTo?: Record<string, unknown>; logs?: { uefi?: Uint8Array; ima?: Uint8Array } } = {},
    ) {
      const sealed = await sealLuks2(new Uint8Array(randomBytes(32)));
      const body = {
        kind: 'luks2',
        keyId,
        version: 1,
        enc: b64(sealed.enc),
        ciphertext: b64(sealed.ciphertext),
        resource: `luks2:${volume}`,
        replyKey: b64(new Uint8Array(randomBytes(32))),
      };
      const c = await signedCall(opts.challengeFrom ?? dir, 'POST', '/v1/agent/tpm/challenge');
      expect(c.status, JSON.stringify(c.body)).toBe(200);
      const q = await driver.quote(
        ak,
        c.body.pcrs,
        quoteQualifyingData(Buffer.from(c.body.nonce, 'base64'), releaseBinding({ ...body, ...(opts.bindTo ?? {}) } as typeof body)),
      );
      const logs = opts.logs ?? { uefi: uefiLog(a.events), ima: imaLog(a.files) };
      return {
        ...body,
        tpm: {
          challengeId: c.body.challengeId,
          attest: b64(q.attest),
          signature: b64(q.signature),
          pcrs: [...q.pcrs].map(([pcr, v]) => ({ pcr, sha256: Buffer.from(v).toString('hex') })),
          ...(logs.uefi ? { uefiLog: b64(logs.uefi) } : {}),
          ...(logs.ima ? { imaLog: b64(logs.ima) } : {}),
        },
      };
    }

    const tpmReason = (answer: { body: any }) => answer.body.reasons?.find((r: any) => r.claim === 'tpm');

    beforeAll(async () => {
      h = harness();
      t = await makeTenant(h);
      [ca, rogueCa] = await Promise.all([makeSwtpmCa(), makeSwtpmCa()]);
      cleanup.push(
        () => ca.remove(),
        () => rogueCa.remove(),
      );
      a = await machine(ca, files);
      b = await machine(ca, files);
      rogue = await startSwtpm(rogueCa);
      for (const m of [a, b])
        cleanup.push(
          () => m.tpm.stop(),
          () => rm(m.dir, { recursive: true, force: true }),
        );
      cleanup.push(() => rogue.stop());

      const k = await h.client.call('POST', '/v1/keys', { token: t.admin, body: { name: 'tpm-volumes' } });
      keyId = k.body.keyId;
      publicKey = new Uint8Array(Buffer.from(k.body.publicKey, 'base64'));
      const e = await h.client.call('POST', '/v1/enrollment-tokens', { token: t.admin, body: { groups: ['tpm-hosts'], uses: 50 } });
      enrollToken = e.body.token;
      const iss = await h.client.call('POST', '/v1/issuers', {
        token: t.admin,
        body: { name: 'swtpm-manufacturer', kind: 'tpm', certificates: [await ca.issuerPem(), await ca.rootPem()] },
      });
      expect(iss.status, JSON.stringify(iss.body)).toBe(201);
      const p = await h.client.call('PUT', '/v1/policies/tpm-volumes', {
        token: t.admin,
        body: {
          keys: [keyId],
          devices: { groups: ['tpm-hosts'] },
          rules: {
            allOf: [
              { claim: 'tpm.verified', equals: true },
              { claim: 'tpm.secureBoot', equals: true },
              { claim: 'tpm.kernelCmdline', in: [CMDLINE] },
              {
                claim: 'tpm.pcrs.sha256.16',
                in: [Buffer.from((await new TpmDriver({ tcti: a.tpm.tcti }).readPcrs([16])).get(16)!).toString('hex')],
              },
              {
                claim: 'tpm.ima',
                allIn: Object.fromEntries(files.map((f) => [f.path, [hashOf(f), ...(f.path === newer.path ? [hashOf(newer)] : [])]])),
              },
            ],
          },
          approval: { mode: 'auto' },
        },
      });
      expect(p.status, JSON.stringify(p.body)).toBe(200);
    }, 180_000);

    afterAll(async () => {
      agentA?.close();
      for (const c of cleanup.reverse()) await c().catch(() => undefined);
    });

    it('a tpm issuer holds CA certificates only', async () => {
      const notPem = await h.client.call('POST', '/v1/issuers', {
        token: t.admin,
        body: { name: 'x', kind: 'tpm', certificates: ['junk'] },
      });
      expect(notPem.status).toBe(400);
      const none = await h.client.call('POST', '/v1/issuers', { token: t.admin, body: { name: 'x', kind: 'tpm' } });
      expect(none.status).toBe(400);
      const jwt = await h.client.call('POST', '/v1/issuers', {
        token: t.admin,
        body: { name: 'x', kind: 'tpm', certificates: [await ca.rootPem()], issuer: 'https://x' },
      });
      expect(jwt.status).toBe(400);
      const listed = await h.client.call('GET', '/v1/issuers', { token: t.admin });
      expect(listed.body.issuers).toContainEqual(expect.objectContaining({ name: 'swtpm-manufacturer', kind: 'tpm', certificates: 2 }));
    });

    it('`agent enroll --tpm`: the EK chains to the trusted CA, the AK is activated in the TPM and bound to the device', async () => {
      stateA = await stateDir();
      agentA = await BrokerAgent.enroll({
        url: h.url,
        ca: h.ca,
        token: enrollToken,
        stateDir: stateA,
        device: { name: 'tpm-a' },
        tpm: a.tpm.tcti,
      });
      expect(agentA.tpm).toBe(true);
      expect((await stat(join(stateA, 'tpm.json'))).mode & 0o777).toBe(0o600);
      const list = await h.client.call('GET', '/v1/devices', { token: t.admin });
      const dev = list.body.devices.find((d: any) => d.deviceId === agentA.deviceId);
      expect(dev.tpm.activatedAt).toEqual(expect.any(String));
      const log = await h.client.call('GET', '/v1/audit?limit=1000', { token: t.auditor });
      const actions = log.body.records?.map((r: any) => `${r.action}:${r.outcome}`) ?? JSON.stringify(log.body);
      expect(actions).toEqual(expect.arrayContaining(['agent.enroll:success', 'agent.tpm-activate:success']));
    });

    it('releases when the quote, the PCRs and the logs verify and the policy holds; the claims are tpm.*', async () => {
      const agent = await BrokerAgent.load({ stateDir: stateA, tpm: { eventLogs: a.logs } });
      try {
        const secret = new Uint8Array(randomBytes(32));
        const got = await agent.unwrap(await sealLuks2(secret), { resource: `luks2:${volume}` });
        expect(Buffer.from(got).equals(Buffer.from(secret))).toBe(true);
      } finally {
        agent.close();
      }
    });

    it("`broker policy learn` turns the device's last verified evidence into allowlists; only its tenant's admin reads it", async () => {
      const ev = await h.client.call('GET', `/v1/devices/${agentA.deviceId}/tpm`, { token: t.admin });
      expect(ev.status).toBe(200);
      expect(ev.body.claims).toMatchObject({ verified: true, secureBoot: true, kernelCmdline: CMDLINE });
      const other = await makeTenant(h);
      expect((await h.client.call('GET', `/v1/devices/${agentA.deviceId}/tpm`, { token: other.admin })).status).toBe(404);
      expect((await h.client.call('GET', `/v1/devices/${agentA.deviceId}/tpm`, { token: t.approver1 })).status).toBe(403);

      const dir = await mkdtemp(join(tmpdir(), 'sc-learn-'));
      cleanup.push(() => rm(dir, { recursive: true, force: true }));
      await writeFile(join(dir, 'ca.pem'), h.ca);
      const run = (args: string[]) =>
        new Promise<{ code: number; stdout: string; stderr: string }>((resolve) =>
          execFile(
            process.execPath,
            [...CLI, 'broker', 'policy', 'learn', ...args],
            {
              env: {
                ...process.env,
                SECTORCRYPT_BROKER_URL: h.url,
                SECTORCRYPT_BROKER_CA: join(dir, 'ca.pem'),
                SECTORCRYPT_BROKER_TOKEN: t.admin,
              },
            },
            (err, stdout, stderr) => resolve({ code: err ? Number(err.code ?? 1) : 0, stdout, stderr }),
          ),
        );
      const learned = await run(['--device', agentA.deviceId, '--pcr', '7', '--pcr', '16']);
      expect(learned.code, learned.stderr).toBe(0);
      const { rules } = JSON.parse(learned.stdout);
      expect(rules.allOf).toEqual(
        expect.arrayContaining([
          { claim: 'tpm.verified', equals: true },
          { claim: 'tpm.secureBoot', equals: true },
          { claim: 'tpm.kernelCmdline', in: [CMDLINE] },
          { claim: 'tpm.pcrs.sha256.16', in: [ev.body.claims.pcrs.sha256['16']] },
          {
            claim: 'tpm.ima',
            allIn: {
              boot_aggregate: [hashOf(files[0]!)],
              '/usr/bin/sectorcrypt': [hashOf(files[1]!)],
              '/usr/lib/x86_64-linux-gnu/libc.so.6': [hashOf(files[2]!)],
            },
          },
        ]),
      );
      expect(evaluateRules('learned', rules, { tpm: ev.body.claims }, new Date()).allowed).toBe(true);
      // The newer binary on another host: merged, both versions are allowed.
      await writeFile(join(dir, 'old.json'), learned.stdout);
      await writeFile(
        join(dir, 'newer.json'),
        JSON.stringify({ ...ev.body, claims: { ...ev.body.claims, ima: { '/usr/bin/sectorcrypt': [hashOf(newer)] } } }),
      );
      const merged = await run(['--evidence', join(dir, 'newer.json'), '--merge', join(dir, 'old.json')]);
      expect(merged.code, merged.stderr).toBe(0);
      const ima = JSON.parse(merged.stdout).rules.allOf.find((l: any) => l.claim === 'tpm.ima');
      expect(ima.allIn['/usr/bin/sectorcrypt']).toEqual([hashOf(files[1]!), hashOf(newer)]);
      expect(ima.allIn['/usr/lib/x86_64-linux-gnu/libc.so.6']).toEqual([hashOf(files[2]!)]);
      const unquoted = await run(['--device', agentA.deviceId, '--pcr', '3']);
      expect(unquoted.code).not.toBe(0);
      expect(unquoted.stderr).toMatch(/PCR 3 was not quoted/);
    });

    it('refuses an EK certificate from a CA the tenant does not trust (nothing enrolled, the token use not spent)', async () => {
      const before = (await h.client.call('GET', '/v1/enrollment-tokens', { token: t.admin })).body;
      const dir = await stateDir();
      const err = await caught(
        BrokerAgent.enroll({ url: h.url, ca: h.ca, token: enrollToken, stateDir: dir, device: { name: 'rogue' }, tpm: rogue.tcti }),
      );
      expect(err.code).toBe('ERR_FORBIDDEN');
      expect(err.message).toMatch(/does not chain to a trusted TPM manufacturer CA/);
      await expect(stat(dir)).rejects.toMatchObject({ code: 'ENOENT' });
      const after = (await h.client.call('GET', '/v1/enrollment-tokens', { token: t.admin })).body;
      expect(JSON.stringify(after)).toBe(JSON.stringify(before));
      const log = (await h.client.call('GET', '/v1/audit?limit=1000', { token: t.auditor })).body.records as any[];
      expect(log.filter((r) => r.action === 'agent.enroll' && r.outcome === 'failure').at(-1)?.reasons).toMatchObject({
        code: 'ERR_FORBIDDEN',
        why: expect.stringMatching(/does not chain to a trusted TPM manufacturer CA/),
      });
      // The AK the failed enrollment made was evicted from the rogue TPM again.
      expect(await rogue.tool(['tpm2_getcap', 'handles-persistent'])).not.toMatch(/0x810001/);
    });

    it('refuses the same TPM enrolled as a second device of the tenant', async () => {
      const err = await caught(
        BrokerAgent.enroll({
          url: h.url,
          ca: h.ca,
          token: enrollToken,
          stateDir: await stateDir(),
          device: { name: 'tpm-a-again' },
          tpm: a.tpm.tcti,
        }),
      );
      expect(err.code).toBe('ERR_CONFLICT');
      expect(err.message).toMatch(/bound to device/);
    });

    it('refuses an AK that is not in the certified TPM: activation fails, the device is revoked', async () => {
      // B's genuine EK certificate, with an AK made in A: the credential opens only in B, for an AK B holds.
      const bDriver = new TpmDriver({ tcti: b.tpm.tcti });
      const aDriver = new TpmDriver({ tcti: a.tpm.tcti });
      const ekB = await bDriver.readEndorsement();
      const foreignAk = await aDriver.createAk('rsa');
      try {
        const { answer, dir } = await rawEnroll(
          { ekCertificate: ekB.certificate, ekPublic: ekB.public, akPublic: foreignAk.public },
          'mixed',
        );
        expect(answer.status, JSON.stringify(answer.body)).toBe(201);
        const cred = answer.body.tpm;
        // A's TPM refuses to activate a credential made for B's EK.
        await expect(
          aDriver.activateCredential(foreignAk, Buffer.from(cred.idObject, 'base64'), Buffer.from(cred.encryptedSecret, 'base64')),
        ).rejects.toMatchObject({ code: 'ERR_TPM' });
        // Not activated: no challenge, so no release.
        expect((await signedCall(dir, 'POST', '/v1/agent/tpm/challenge')).status).toBe(403);
        // A guessed secret revokes the device.
        const guess = await signedCall(dir, 'POST', '/v1/agent/tpm/activate', {
          challengeId: cred.challengeId,
          secret: b64(randomBytes(32)),
        });
        expect(guess.status).toBe(403);
        const dev = (await h.client.call('GET', '/v1/devices', { token: t.admin })).body.devices.find(
          (d: any) => d.deviceId === answer.body.deviceId,
        );
        expect(dev.revokedAt).toEqual(expect.any(String));
        expect(dev.tpm.activatedAt).toBeNull();
      } finally {
        await aDriver.evictAk(foreignAk);
      }
    });

    let stateB: string;
    let akB: AkRecord;
    it('a spent activation is refused; an enrollment never activated does not hold the TPM; B, activated by hand, is a TPM device of its own', async () => {
      const bDriver = new TpmDriver({ tcti: b.tpm.tcti });
      const ek = await bDriver.readEndorsement();
      akB = await bDriver.createAk(ek.alg);
      cleanup.push(() => bDriver.evictAk(akB));
      // A squatter with a copy of B's public EK certificate enrolls first and never activates.
      const squat = await rawEnroll({ ekCertificate: ek.certificate, ekPublic: ek.public, akPublic: akB.public }, 'squatter');
      expect(squat.answer.status, JSON.stringify(squat.answer.body)).toBe(201);
      const { answer, dir } = await rawEnroll({ ekCertificate: ek.certificate, ekPublic: ek.public, akPublic: akB.public }, 'tpm-b');
      expect(answer.status, JSON.stringify(answer.body)).toBe(201);
      stateB = dir;
      const cred = answer.body.tpm;
      const secret = await bDriver.activateCredential(
        akB,
        Buffer.from(cred.idObject, 'base64'),
        Buffer.from(cred.encryptedSecret, 'base64'),
      );
      const ok = await signedCall(dir, 'POST', '/v1/agent/tpm/activate', { challengeId: cred.challengeId, secret: b64(secret) });
      expect(ok.status, JSON.stringify(ok.body)).toBe(200);
      const again = await signedCall(dir, 'POST', '/v1/agent/tpm/activate', { challengeId: cred.challengeId, secret: b64(secret) });
      expect(again.status).toBe(409);
      // The squatter cannot activate now even with the right secret: B is bound to the activated device.
      const late = await signedCall(squat.dir, 'POST', '/v1/agent/tpm/activate', {
        challengeId: squat.answer.body.tpm.challengeId,
        secret: b64(
          await bDriver.activateCredential(
            akB,
            Buffer.from(squat.answer.body.tpm.idObject, 'base64'),
            Buffer.from(squat.answer.body.tpm.encryptedSecret, 'base64'),
          ),
        ),
      });
      expect(late.status).toBe(409);
      expect(late.body.error.message).toMatch(/bound to another device/);
    });

    it("a quote answers one challenge for one request: a replay, a quote bound to another reply key, another device's challenge are denied", async () => {
      const driver = new TpmDriver({ tcti: a.tpm.tcti });
      const ak = await (await import('../../../src/agent/attest/tpm/index.js')).loadAkRecord(stateA);
      const body = await releaseBody(stateA, driver, ak);
      const first = await signedCall(stateA, 'POST', '/v1/agent/unwrap', body);
      expect(first.status, JSON.stringify(first.body)).toBe(200);
      // The same quote again (a fresh signature nonce): its challenge is spent.
      const replay = await signedCall(stateA, 'POST', '/v1/agent/unwrap', body);
      expect(replay.status).toBe(403);
      expect(tpmReason(replay)).toMatchObject({ trust: 'tpm', actual: expect.stringMatching(/spent.*replayed/) });
      // A quote for this challenge, but made for another reply key than the one sent.
      const other = await releaseBody(stateA, driver, ak, { bindTo: { replyKey: b64(new Uint8Array(randomBytes(32))) } });
      const rebound = await signedCall(stateA, 'POST', '/v1/agent/unwrap', other);
      expect(tpmReason(rebound)).toMatchObject({ actual: expect.stringMatching(/does not answer this challenge/) });
      // Its challenge was spent by that failure too.
      const retried = await signedCall(stateA, 'POST', '/v1/agent/unwrap', other);
      expect(tpmReason(retried)).toMatchObject({ actual: expect.stringMatching(/spent/) });
      // B's quote over a challenge issued to A.
      const stolen = await releaseBody(stateB, new TpmDriver({ tcti: b.tpm.tcti }), akB, { challengeFrom: stateA });
      const cross = await signedCall(stateB, 'POST', '/v1/agent/unwrap', stolen);
      expect(tpmReason(cross)).toMatchObject({ actual: expect.stringMatching(/not this device's/) });
    });

    it("denies a quote from another TPM (B's AK) sent by A", async () => {
      const body = await releaseBody(stateA, new TpmDriver({ tcti: b.tpm.tcti }), akB);
      const answer = await signedCall(stateA, 'POST', '/v1/agent/unwrap', body);
      expect(answer.status).toBe(403);
      expect(tpmReason(answer)).toMatchObject({ trust: 'tpm', actual: expect.stringMatching(/does not verify with the enrolled AK/) });
    });

    it('denies a tampered event log: the PCR where it stops replaying is named', async () => {
      const driver = new TpmDriver({ tcti: a.tpm.tcti });
      const ak = await (await import('../../../src/agent/attest/tpm/index.js')).loadAkRecord(stateA);
      const edited = a.events.map((e) => (e.pcr === 8 ? { ...e, measured: Buffer.from(`${CMDLINE} init=/bin/sh`) } : e));
      const body = await releaseBody(stateA, driver, ak, { logs: { uefi: uefiLog(edited), ima: imaLog(files) } });
      const answer = await signedCall(stateA, 'POST', '/v1/agent/unwrap', body);
      expect(answer.status).toBe(403);
      expect(tpmReason(answer)).toMatchObject({ actual: expect.stringMatching(/PCR 8: the UEFI event log replays to/) });
      const swapped = files.map((f) => (f.path.includes('libc') ? { ...f, content: 'libc with a backdoor' } : f));
      const ima = await releaseBody(stateA, driver, ak, { logs: { uefi: uefiLog(a.events), ima: imaLog(swapped) } });
      const imaAnswer = await signedCall(stateA, 'POST', '/v1/agent/unwrap', ima);
      expect(tpmReason(imaAnswer)).toMatchObject({ actual: expect.stringMatching(/IMA log does not replay/) });
    });

    it('denies a TPM device that sends no quote', async () => {
      const sealed = await sealLuks2(new Uint8Array(randomBytes(32)));
      const answer = await signedCall(stateA, 'POST', '/v1/agent/unwrap', {
        kind: 'luks2',
        keyId,
        version: 1,
        enc: b64(sealed.enc),
        ciphertext: b64(sealed.ciphertext),
        resource: `luks2:${volume}`,
        replyKey: b64(new Uint8Array(randomBytes(32))),
        claims: { integrity: { tpm: true } },
      });
      expect(answer.status).toBe(403);
      expect(tpmReason(answer)).toMatchObject({ actual: expect.stringMatching(/^missing/) });
    });

    it('denies a device without a TPM under a TPM policy, whatever it claims itself', async () => {
      const dir = await stateDir();
      const plain = await BrokerAgent.enroll({ url: h.url, ca: h.ca, token: enrollToken, stateDir: dir, device: { name: 'no-tpm' } });
      plain.close();
      const agent = await BrokerAgent.load({ stateDir: dir, claims: { integrity: { 'tpm.verified': true, secureBoot: true } } });
      try {
        expect(agent.tpm).toBe(false);
        const err = await caught(agent.unwrap(await sealLuks2(new Uint8Array(32)), { resource: `luks2:${volume}` }));
        expect(err.code).toBe('ERR_DENIED');
        expect(err.reasons).toContainEqual(expect.objectContaining({ claim: 'tpm.verified', actual: 'missing', trust: 'tpm' }));
      } finally {
        agent.close();
      }
    });

    it('an IMA update inside the allowlist releases; a PCR that changed is denied with the claim named', async () => {
      // The newer binary, measured: its hash is the allowlist's second version.
      await a.tpm.tool(['tpm2_pcrextend', `10:sha256=${imaExtend(newer).toString('hex')}`]);
      a.files = [...a.files, newer];
      await writeFile(a.logs.ima, imaLog(a.files));
      const agent = await BrokerAgent.load({ stateDir: stateA, tpm: { eventLogs: a.logs } });
      try {
        const secret = new Uint8Array(randomBytes(32));
        expect(Buffer.from(await agent.unwrap(await sealLuks2(secret), { resource: `luks2:${volume}` })).equals(Buffer.from(secret))).toBe(
          true,
        );
        // Something else measured into PCR 16, and logged: the log replays, the value is not the one allowed.
        const changed: LogEvent = { pcr: 16, type: 0x0d, data: Buffer.from('another boot component\0') };
        await a.tpm.tool(['tpm2_pcrextend', `16:sha256=${eventSha256(changed).toString('hex')}`]);
        a.events = [...a.events, changed];
        await writeFile(a.logs.uefi, uefiLog(a.events));
        const err = await caught(agent.unwrap(await sealLuks2(secret), { resource: `luks2:${volume}` }));
        expect(err.code).toBe('ERR_DENIED');
        expect(err.reasons).toEqual([
          expect.objectContaining({ claim: 'tpm.pcrs.sha256.16', trust: 'tpm', actual: expect.stringMatching(/^[0-9a-f]{64}$/) }),
        ]);
      } finally {
        agent.close();
      }
    });

    it('trusting a tpm issuer waits for a second admin where two-person rules hold; confirmed, it is trusted', async () => {
      const t2 = await makeTenant(h);
      const second = await operatorAdmin(h, t2.tenantId, 'second-admin');
      const put = await h.client.call('POST', '/v1/issuers', {
        token: t2.admin,
        body: { name: 'swtpm', kind: 'tpm', certificates: [await ca.issuerPem()] },
      });
      expect(put.status, JSON.stringify(put.body)).toBe(202);
      expect((await h.client.call('GET', '/v1/issuers', { token: t2.admin })).body.issuers).toEqual([]);
      const ok = await h.client.call('POST', `/v1/actions/${put.body.actionId}/confirm`, { token: second });
      expect(ok.status, JSON.stringify(ok.body)).toBe(200);
      expect((await h.client.call('GET', '/v1/issuers', { token: t2.admin })).body.issuers).toEqual([
        expect.objectContaining({ name: 'swtpm', kind: 'tpm', certificates: 1 }),
      ]);
    });

    it('a revoked device frees its TPM: `sectorcrypt agent enroll --tpm TCTI` enrolls the machine anew', async () => {
      const state = await readState(stateB);
      expect((await h.client.call('POST', `/v1/devices/${state.device.deviceId}/revoke`, { token: t.admin })).status).toBe(200);
      const dir = await stateDir();
      const out = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) =>
        execFile(
          process.execPath,
          [
            ...CLI,
            'agent',
            'enroll',
            '--url',
            h.url,
            '--ca',
            join(stateB, 'ca.pem'),
            '--token',
            enrollToken,
            '--state',
            dir,
            '--name',
            'tpm-b2',
            '--tpm',
            b.tpm.tcti,
            '--json',
          ],
          (err, stdout, stderr) => resolve({ code: err ? Number(err.code ?? 1) : 0, stdout, stderr }),
        ),
      );
      expect(out.code, out.stderr).toBe(0);
      const enrolled = JSON.parse(out.stdout);
      expect(enrolled).toMatchObject({ groups: ['tpm-hosts'], tpm: true });
      const agent = await BrokerAgent.load({ stateDir: dir, tpm: { eventLogs: b.logs } });
      try {
        const secret = new Uint8Array(randomBytes(32));
        expect(Buffer.from(await agent.unwrap(await sealLuks2(secret), { resource: `luks2:${volume}` })).equals(Buffer.from(secret))).toBe(
          true,
        );
      } finally {
        agent.close();
      }
    });
  });
}
