/**
 * Release evidence against a real TPM (swtpm): the agent's quote, checked by the broker's
 * verifyTpmEvidence, and every way an attacker would try to pass off other evidence: a PCR
 * that changed after the quote, an old quote replayed for a new challenge, a quote from another
 * TPM, another PCR selection, tampered bytes.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TpmDriver, type AkRecord, type TpmQuote } from '../../src/agent/attest/tpm/index.js';
import { quoteQualifyingData, verifyTpmEvidence, type TpmEvidence } from '../../src/broker/attest/tpm/index.js';
import { describeWithTool } from '../tools.js';
import { makeSwtpmCa, startSwtpm, tpmToolsMissing, type Swtpm, type SwtpmCa } from './swtpm.js';

const PCRS = [0, 7, 16];

function evidence(ak: AkRecord, q: TpmQuote, pcrs = q.pcrs): TpmEvidence {
  return { akPublic: Buffer.from(ak.public, 'base64'), attest: q.attest, signature: q.signature, pcrs };
}

function challenge(): Uint8Array {
  return quoteQualifyingData(new Uint8Array(randomBytes(32)), new TextEncoder().encode('{"keyId":"k1"}'));
}

describeWithTool('swtpm', tpmToolsMissing(), 'TPM quotes (swtpm)', () => {
  let ca: SwtpmCa;
  let tpm: Swtpm;
  let other: Swtpm;
  let driver: TpmDriver;
  let otherDriver: TpmDriver;
  let ak: AkRecord;
  let otherAk: AkRecord;

  beforeAll(async () => {
    ca = await makeSwtpmCa();
    [tpm, other] = await Promise.all([startSwtpm(ca), startSwtpm(ca)]);
    driver = new TpmDriver({ tcti: tpm.tcti });
    otherDriver = new TpmDriver({ tcti: other.tcti });
    ak = await driver.createAk((await driver.readEndorsement()).alg);
    otherAk = await otherDriver.createAk((await otherDriver.readEndorsement()).alg);
  }, 120_000);
  afterAll(async () => {
    await Promise.all([tpm?.stop(), other?.stop()]);
    await ca?.remove();
  });

  const expect_ = (qualifyingData: Uint8Array, pcrs = PCRS, a = ak) => ({ akName: Buffer.from(a.name, 'hex'), qualifyingData, pcrs });

  it('a quote over the PCRs asked, answering the challenge, verifies and gives tpm.* claims', async () => {
    await tpm.tool(['tpm2_pcrextend', `16:sha256=${'ab'.repeat(32)}`]);
    const qd = challenge();
    const q = await driver.quote(ak, PCRS, qd);
    const result = verifyTpmEvidence(evidence(ak, q), expect_(qd));
    expect(result.ok, result.ok ? '' : result.reason).toBe(true);
    if (!result.ok) return;
    expect(result.claims['tpm.verified']).toBe(true);
    expect(result.claims['tpm.pcrs.sha256.16']).toBe(Buffer.from((await driver.readPcrs([16])).get(16)!).toString('hex'));
    expect(result.claims['tpm.pcrs.sha256.16']).not.toBe('00'.repeat(32));
    expect(result.claims['tpm.pcrs.sha256.0']).toBe('00'.repeat(32));
    expect(typeof result.claims['tpm.resetCount']).toBe('number');
  });

  it('an RSA AK (RSASSA-SHA256) quotes and verifies too', async () => {
    const rsaAk = await driver.createAk('rsa', 'rsa');
    try {
      const qd = challenge();
      const result = verifyTpmEvidence(evidence(rsaAk, await driver.quote(rsaAk, PCRS, qd)), expect_(qd, PCRS, rsaAk));
      expect(result.ok, result.ok ? '' : result.reason).toBe(true);
    } finally {
      await driver.evictAk(rsaAk);
    }
  });

  it('refuses the PCR values read after a PCR changed, with the quote taken before', async () => {
    const qd = challenge();
    const q = await driver.quote(ak, PCRS, qd);
    await tpm.tool(['tpm2_pcrextend', `16:sha256=${'cd'.repeat(32)}`]);
    const now = await driver.readPcrs(PCRS);
    expect(Buffer.from(now.get(16)!).equals(Buffer.from(q.pcrs.get(16)!))).toBe(false);
    const result = verifyTpmEvidence(evidence(ak, q, now), expect_(qd));
    expect(result).toMatchObject({ ok: false, reason: expect.stringMatching(/do not match the quoted PCR digest/) });
  });

  it('a new quote after the change reports the new PCR value (the policy then sees it)', async () => {
    const qd1 = challenge();
    const before = verifyTpmEvidence(evidence(ak, await driver.quote(ak, PCRS, qd1)), expect_(qd1));
    await tpm.tool(['tpm2_pcrextend', `16:sha256=${'ef'.repeat(32)}`]);
    const qd2 = challenge();
    const after = verifyTpmEvidence(evidence(ak, await driver.quote(ak, PCRS, qd2)), expect_(qd2));
    expect(before.ok && after.ok).toBe(true);
    if (before.ok && after.ok) expect(after.claims['tpm.pcrs.sha256.16']).not.toBe(before.claims['tpm.pcrs.sha256.16']);
  });

  it('refuses an old quote replayed for a new challenge', async () => {
    const old = challenge();
    const q = await driver.quote(ak, PCRS, old);
    expect(verifyTpmEvidence(evidence(ak, q), expect_(old)).ok).toBe(true);
    const result = verifyTpmEvidence(evidence(ak, q), expect_(challenge()));
    expect(result).toMatchObject({ ok: false, reason: expect.stringMatching(/does not answer this challenge/) });
  });

  it("refuses a quote from another TPM, presented with that TPM's AK public", async () => {
    const qd = challenge();
    const q = await otherDriver.quote(otherAk, PCRS, qd);
    const result = verifyTpmEvidence(evidence(otherAk, q), expect_(qd));
    expect(result).toMatchObject({ ok: false, reason: expect.stringMatching(/another AK than the one enrolled/) });
  });

  it("refuses a quote from another TPM, presented with this device's AK public", async () => {
    const qd = challenge();
    const q = await otherDriver.quote(otherAk, PCRS, qd);
    const result = verifyTpmEvidence({ ...evidence(otherAk, q), akPublic: Buffer.from(ak.public, 'base64') }, expect_(qd));
    expect(result).toMatchObject({ ok: false, reason: expect.stringMatching(/signature does not verify/) });
  });

  it('refuses a quote over fewer PCRs than asked', async () => {
    const qd = challenge();
    const q = await driver.quote(ak, [0, 16], qd);
    const result = verifyTpmEvidence(evidence(ak, q), expect_(qd));
    expect(result).toMatchObject({ ok: false, reason: expect.stringMatching(/selects sha256:0,16, not sha256:0,7,16/) });
  });

  it('refuses PCR values for other PCRs than quoted, and a missing value', async () => {
    const qd = challenge();
    const q = await driver.quote(ak, PCRS, qd);
    const extra = new Map(q.pcrs);
    extra.set(1, new Uint8Array(32));
    expect(verifyTpmEvidence(evidence(ak, q, extra), expect_(qd))).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/are not the PCRs quoted/),
    });
    const fewer = new Map(q.pcrs);
    fewer.delete(7);
    expect(verifyTpmEvidence(evidence(ak, q, fewer), expect_(qd)).ok).toBe(false);
  });

  it('refuses a TPMS_ATTEST changed in any byte, and a changed signature', async () => {
    const qd = challenge();
    const q = await driver.quote(ak, PCRS, qd);
    for (const at of [0, 6, q.attest.length - 1]) {
      const attest = new Uint8Array(q.attest);
      attest[at]! ^= 1;
      expect(verifyTpmEvidence({ ...evidence(ak, q), attest }, expect_(qd)).ok).toBe(false);
    }
    const signature = new Uint8Array(q.signature);
    signature[signature.length - 1]! ^= 1;
    expect(verifyTpmEvidence({ ...evidence(ak, q), signature }, expect_(qd))).toMatchObject({ ok: false });
  });

  it('refuses a resetCount below the last one verified', async () => {
    const qd = challenge();
    const q = await driver.quote(ak, PCRS, qd);
    const ok = verifyTpmEvidence(evidence(ak, q), expect_(qd));
    expect(ok.ok).toBe(true);
    if (!ok.ok) return;
    const result = verifyTpmEvidence(evidence(ak, q), { ...expect_(qd), minResetCount: ok.claims['tpm.resetCount'] + 1 });
    expect(result).toMatchObject({ ok: false, reason: expect.stringMatching(/resetCount/) });
  });

  describe('agent driver', () => {
    it('refuses to quote when the persistent handle holds another key than the AK recorded', async () => {
      const forged: AkRecord = { ...ak, handle: otherAk.handle, name: otherAk.name.replace(/.$/, (c) => (c === '0' ? '1' : '0')) };
      await expect(driver.quote(forged, PCRS, challenge())).rejects.toMatchObject({ code: 'ERR_TPM' });
    });

    it('says which tool failed when the TPM does not answer', async () => {
      const dead = new TpmDriver({ tcti: 'swtpm:host=127.0.0.1,port=1', timeoutMs: 10_000 });
      await expect(dead.readPcrs([0])).rejects.toMatchObject({ code: 'ERR_TPM', message: expect.stringMatching(/^tpm2_pcrread/) });
    });
  });
});
