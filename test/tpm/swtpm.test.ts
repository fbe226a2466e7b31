/** The swtpm harness itself: a manufactured TPM answers on its TCTI with an EK certificate from the test CA. */
import { X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeWithTool } from '../tools.js';
import { makeSwtpmCa, startSwtpm, tpmToolsMissing, type Swtpm, type SwtpmCa } from './swtpm.js';

describeWithTool('swtpm', tpmToolsMissing(), 'swtpm harness', () => {
  let ca: SwtpmCa;
  let tpm: Swtpm;
  beforeAll(async () => {
    ca = await makeSwtpmCa();
    tpm = await startSwtpm(ca);
  });
  afterAll(async () => {
    await tpm?.stop();
    await ca?.remove();
  });

  it('answers on its TCTI with an RSA EK certificate issued by the test CA', async () => {
    await tpm.tool(['tpm2_nvread', '0x01c00002', '-C', 'o', '-o', join(tpm.dir, 'ek.der')]);
    const cert = new X509Certificate(await readFile(join(tpm.dir, 'ek.der')));
    const issuer = new X509Certificate(await ca.issuerPem());
    const root = new X509Certificate(await ca.rootPem());
    expect(cert.checkIssued(issuer)).toBe(true);
    expect(cert.verify(issuer.publicKey)).toBe(true);
    expect(issuer.verify(root.publicKey)).toBe(true);
    expect(tpm.tcti).toMatch(/^swtpm:host=127\.0\.0\.1,port=\d+$/);
  });

  it('keeps everything in its temp folders', () => {
    expect(tpm.dir.startsWith(ca.dir)).toBe(false);
    expect(tpm.env.HOME).toBe(tpm.dir);
  });
});
