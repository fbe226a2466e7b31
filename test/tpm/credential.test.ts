/**
 * Enrollment's proof that the AK is in the TPM that holds the certified EK: a credential made
 * by our TypeScript TPM2_MakeCredential is opened by tpm2_activatecredential in swtpm, and
 * only for the AK Name it was made for. The EK certificate check runs on the swtpm's real
 * certificate, from its local CA and from a CA that is not trusted.
 */
import { randomBytes, X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TpmDriver, type AkRecord, type Endorsement } from '../../src/agent/attest/tpm/index.js';
import { makeCredential, objectName, parsePublic, verifyEkCertificate } from '../../src/broker/attest/tpm/index.js';
import { describeWithTool } from '../tools.js';
import { makeSwtpmCa, startSwtpm, tpmToolsMissing, type Swtpm, type SwtpmCa } from './swtpm.js';

describeWithTool('swtpm', tpmToolsMissing(), 'TPM enrollment: EK certificate and credential activation (swtpm)', () => {
  let ca: SwtpmCa;
  let otherCa: SwtpmCa;
  let tpm: Swtpm;
  let other: Swtpm;
  let driver: TpmDriver;
  let endorsement: Endorsement;
  let ak: AkRecord;

  beforeAll(async () => {
    ca = await makeSwtpmCa();
    otherCa = await makeSwtpmCa();
    [tpm, other] = await Promise.all([startSwtpm(ca), startSwtpm(otherCa)]);
    driver = new TpmDriver({ tcti: tpm.tcti });
    endorsement = await driver.readEndorsement();
    ak = await driver.createAk(endorsement.alg);
  }, 120_000);
  afterAll(async () => {
    await Promise.all([tpm?.stop(), other?.stop()]);
    await Promise.all([ca?.remove(), otherCa?.remove()]);
  });

  describe('EK certificate', () => {
    it('is read from NV index 0x01c00002 (RSA-2048) and certifies the EK public', async () => {
      expect(endorsement.alg).toBe('rsa');
      const result = verifyEkCertificate(endorsement.certificate, parsePublic(endorsement.public), {
        trusted: [await ca.rootPem()],
        intermediates: [await ca.issuerPem()],
      });
      expect(result.ok, result.ok ? '' : result.reason).toBe(true);
    });

    it('chains when the tenant trusts the issuing intermediate itself', async () => {
      const result = verifyEkCertificate(endorsement.certificate, parsePublic(endorsement.public), { trusted: [await ca.issuerPem()] });
      expect(result.ok).toBe(true);
    });

    it('is refused when it comes from a CA that is not trusted', async () => {
      const result = verifyEkCertificate(endorsement.certificate, parsePublic(endorsement.public), {
        trusted: [await otherCa.rootPem()],
        intermediates: [await otherCa.issuerPem()],
      });
      expect(result).toMatchObject({ ok: false, reason: expect.stringMatching(/does not chain to a trusted TPM manufacturer CA/) });
    });

    it('is refused when the intermediate is offered but the root is not trusted', async () => {
      const result = verifyEkCertificate(endorsement.certificate, parsePublic(endorsement.public), {
        trusted: [await otherCa.rootPem()],
        intermediates: [await ca.issuerPem()],
      });
      expect(result.ok).toBe(false);
    });

    it("is refused when presented with another TPM's EK public (a genuine certificate, a key it does not certify)", async () => {
      const otherEk = await new TpmDriver({ tcti: other.tcti }).readEndorsement();
      const result = verifyEkCertificate(endorsement.certificate, parsePublic(otherEk.public), {
        trusted: [await ca.rootPem()],
        intermediates: [await ca.issuerPem()],
      });
      expect(result).toMatchObject({ ok: false, reason: expect.stringMatching(/certifies another key/) });
    });

    it('is refused when it has expired or is not yet valid', async () => {
      const trust = { trusted: [await ca.rootPem()], intermediates: [await ca.issuerPem()] };
      const notBefore = new Date(new X509Certificate(Buffer.from(endorsement.certificate)).validFrom);
      const result = verifyEkCertificate(
        endorsement.certificate,
        parsePublic(endorsement.public),
        trust,
        new Date(notBefore.getTime() - 86_400_000),
      );
      expect(result).toMatchObject({ ok: false, reason: expect.stringMatching(/not valid now/) });
    });
  });

  describe('credential activation', () => {
    it('a credential made in TypeScript for the AK Name is opened by the TPM and yields the secret', async () => {
      const secret = new Uint8Array(randomBytes(32));
      const name = objectName(parsePublic(Buffer.from(ak.public, 'base64')));
      expect(Buffer.from(name).toString('hex')).toBe(ak.name);
      const cred = makeCredential(parsePublic(endorsement.public), name, secret);
      const opened = await driver.activateCredential(ak, cred.idObject, cred.encryptedSecret);
      expect(Buffer.from(opened).equals(Buffer.from(secret))).toBe(true);
    });

    it('a credential made for another AK Name is refused by the TPM (integrity check fails)', async () => {
      const secret = new Uint8Array(randomBytes(32));
      const name = objectName(parsePublic(Buffer.from(ak.public, 'base64')));
      const wrong = new Uint8Array(name);
      wrong[wrong.length - 1]! ^= 1;
      const cred = makeCredential(parsePublic(endorsement.public), wrong, secret);
      await expect(driver.activateCredential(ak, cred.idObject, cred.encryptedSecret)).rejects.toMatchObject({
        code: 'ERR_TPM',
        message: expect.stringMatching(/integrity|0x9[0-9a-f]{2}|tpm:/i),
      });
    });

    it("a credential made for another TPM's EK is refused", async () => {
      const otherEk = await new TpmDriver({ tcti: other.tcti }).readEndorsement();
      const name = objectName(parsePublic(Buffer.from(ak.public, 'base64')));
      const cred = makeCredential(parsePublic(otherEk.public), name, new Uint8Array(randomBytes(32)));
      await expect(driver.activateCredential(ak, cred.idObject, cred.encryptedSecret)).rejects.toMatchObject({ code: 'ERR_TPM' });
    });

    it('an ECC P-256 EK (template L-2) opens a credential shared by ECDH and KDFe', async () => {
      const dir = await mkdtemp(join(tmpdir(), 'sectorcrypt-tpm-test-'));
      try {
        // swtpm certifies an ECC P-384 EK only; the P-256 EK exists all the same (TCG default template).
        const eccAk = await driver.createAk('ecc');
        await tpm.tool(['tpm2_createek', '-c', join(dir, 'ek.ctx'), '-G', 'ecc', '-u', join(dir, 'ek.pub'), '-f', 'tss']);
        await tpm.tool(['tpm2_flushcontext', '-t']);
        const eccEk = await readFile(join(dir, 'ek.pub'));
        expect(parsePublic(eccEk)).toMatchObject({ type: 'ecc', curve: 0x0003 });
        const secret = new Uint8Array(randomBytes(32));
        const cred = makeCredential(parsePublic(eccEk), Buffer.from(eccAk.name, 'hex'), secret);
        expect(Buffer.from(await driver.activateCredential(eccAk, cred.idObject, cred.encryptedSecret)).equals(Buffer.from(secret))).toBe(
          true,
        );
        const wrong = makeCredential(parsePublic(eccEk), Buffer.from(ak.name, 'hex'), secret);
        await expect(driver.activateCredential(eccAk, wrong.idObject, wrong.encryptedSecret)).rejects.toMatchObject({ code: 'ERR_TPM' });
        await driver.evictAk(eccAk);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });
  });
});
