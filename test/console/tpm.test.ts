/**
 * The approver's card shows the TPM evidence the broker verified (issue 25): a device enrolled
 * with a real TPM (swtpm, its boot and IMA logs extended into its PCRs) asks for a key under a
 * manual policy with tpm.* rules; the card names Secure Boot, the boot count, the kernel
 * command line, the quoted PCRs and the IMA files, from the claims and nowhere else.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { afterAll, expect, it } from 'vitest';
import { BrokerAgent } from '../../src/agent/index.js';
import { hpkeSeal } from '../../src/keys/hpke.js';
import { describeWithTool } from '../tools.js';
import { chromiumMissing, signedInConsole } from './fixture.js';
import { makeSwtpmCa, startSwtpm, tpmToolsMissing, type Swtpm, type SwtpmCa } from '../tpm/swtpm.js';
import { bootEvents, eventSha256, imaExtend, imaLog, uefiLog, type ImaFile } from '../tpm/event-logs.js';

const CMDLINE = 'BOOT_IMAGE=/vmlinuz-6.1.0-18-amd64 root=/dev/mapper/vg-root ro quiet';
const missing = chromiumMissing() ?? tpmToolsMissing();

describeWithTool(chromiumMissing() ? 'chromium' : 'swtpm', missing, 'console: TPM evidence on the approver card (Chromium, swtpm)', () => {
  let ca: SwtpmCa;
  let tpm: Swtpm;
  let dir: string;
  let agent: BrokerAgent;
  const files: ImaFile[] = [
    { path: 'boot_aggregate', content: 'aggregate' },
    { path: '/usr/bin/sectorcrypt', content: 'v1 binary' },
  ];
  const volume = randomUUID();

  const s = signedInConsole({
    approvers: 1,
    token: (t) => t.approver1,
    async prepare(f) {
      ca = await makeSwtpmCa();
      tpm = await startSwtpm(ca);
      dir = await mkdtemp(join(tmpdir(), 'sc-console-tpm-'));
      const events = bootEvents(CMDLINE);
      for (const e of events) await tpm.tool(['tpm2_pcrextend', `${e.pcr}:sha256=${eventSha256(e).toString('hex')}`]);
      for (const file of files) await tpm.tool(['tpm2_pcrextend', `10:sha256=${imaExtend(file).toString('hex')}`]);
      await writeFile(join(dir, 'uefi'), uefiLog(events));
      await writeFile(join(dir, 'ima'), imaLog(files));
      const call = async (method: string, path: string, body?: unknown) => {
        const a = await f.h.client.call(method, path, { token: f.t.admin, body });
        if (a.status >= 300) throw new Error(`${method} ${path}: ${a.status} ${JSON.stringify(a.body)}`);
        return a.body;
      };
      await call('POST', '/v1/issuers', { name: 'swtpm', kind: 'tpm', certificates: [await ca.issuerPem()] });
      const key = await call('POST', '/v1/keys', { name: 'tpm-key' });
      await call('PUT', '/v1/policies/tpm-manual', {
        keys: [key.keyId],
        devices: { groups: ['tpm-hosts'] },
        // The PCRs quoted are the ones these claims come from: 7, 8 and 12, 10.
        rules: {
          allOf: [
            { claim: 'tpm.verified', equals: true },
            { claim: 'tpm.secureBoot', equals: true },
            { claim: 'tpm.kernelCmdline', exists: true },
            { claim: 'tpm.ima', exists: true },
          ],
        },
        approval: { mode: 'manual', approvers: 1 },
      });
      const { token } = await call('POST', '/v1/enrollment-tokens', { groups: ['tpm-hosts'] });
      const stateDir = join(dir, 'state');
      (await BrokerAgent.enroll({ url: f.h.url, ca: f.h.ca, token, stateDir, device: { name: 'tpm-host' }, tpm: tpm.tcti })).close();
      agent = await BrokerAgent.load({ stateDir, tpm: { eventLogs: { uefi: join(dir, 'uefi'), ima: join(dir, 'ima') } } });
      const te = new TextEncoder();
      const pub = new Uint8Array(Buffer.from(key.publicKey as string, 'base64'));
      const sealed = await hpkeSeal(
        'x25519',
        pub,
        te.encode('sectorcrypt-luks2/v1 broker'),
        te.encode(`${key.keyId}/1/${volume}`),
        new Uint8Array(32),
      );
      await expect(agent.unwrap({ keyId: key.keyId, version: 1, ...sealed }, { resource: `luks2:${volume}` })).rejects.toMatchObject({
        code: 'ERR_PENDING',
      });
    },
  });

  afterAll(async () => {
    agent?.close();
    await tpm?.stop();
    await ca?.remove();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('shows what the quote and the logs proved: Secure Boot, boot count, command line, PCRs, IMA files', async () => {
    const card = s.page.locator('article.request', { hasText: 'tpm-host' });
    await card.waitFor({ timeout: 30_000 });
    const section = card.locator('section.tpm');
    await section.waitFor();
    const text = await section.innerText();
    expect(text).toContain('TPM evidence (verified by the broker)');
    expect(text).toMatch(/Secure Boot\s+on/);
    expect(text).toMatch(/Boot count\s+\d+/);
    expect(text).toContain(CMDLINE);
    expect(text).toMatch(/IMA\s+2 measured files/);
    // PCR 7 holds the SecureBoot variable and the separator: not zero.
    const pcr7 = await section.locator('table.pcrs tr', { hasText: /^7/ }).innerText();
    expect(pcr7).toMatch(/^7\s+[0-9a-f]{64}$/);
    expect(pcr7).not.toContain('0'.repeat(64));
    await section.getByText('IMA measurements (2)').click();
    expect(await section.locator('table.ima').innerText()).toContain('/usr/bin/sectorcrypt');
  });
});
