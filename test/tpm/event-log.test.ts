/**
 * Event logs replayed against a real TPM's quoted PCRs (swtpm): the test writes a UEFI TCG2
 * log (SecureBoot in PCR 7, GRUB's kernel command line in PCR 8, an event in the resettable
 * PCR 16) and an IMA ima-ng log (PCR 10), extends the same digests into the TPM, quotes, and
 * checks that verifyTpmEvidence replays them, that the facts come out as claims, and that a
 * log an attacker edited is refused with the PCR named or gives no claim.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TpmDriver, type AkRecord, type TpmQuote } from '../../src/agent/attest/tpm/index.js';
import { quoteQualifyingData, verifyTpmEvidence, type TpmEvidence } from '../../src/broker/attest/tpm/index.js';
import { describeWithTool } from '../tools.js';
import { bootEvents, eventSha256, imaExtend, imaLog, sha256, uefiLog, variableData, type ImaFile, type LogEvent } from './event-logs.js';
import { makeSwtpmCa, startSwtpm, tpmToolsMissing, type Swtpm, type SwtpmCa } from './swtpm.js';

const PCRS = [7, 8, 10, 16];
const CMDLINE = 'BOOT_IMAGE=/vmlinuz-6.1.0-18-amd64 root=/dev/mapper/vg-root ro quiet lockdown=integrity';

describeWithTool('swtpm', tpmToolsMissing(), 'TPM event logs replayed against a quote (swtpm)', () => {
  let ca: SwtpmCa;
  let tpm: Swtpm;
  let driver: TpmDriver;
  let ak: AkRecord;
  let events: LogEvent[];
  let files: ImaFile[];
  let qd: Uint8Array;
  let q: TpmQuote;

  const extend = (pcr: number, digest: Uint8Array) => tpm.tool(['tpm2_pcrextend', `${pcr}:sha256=${Buffer.from(digest).toString('hex')}`]);

  beforeAll(async () => {
    ca = await makeSwtpmCa();
    tpm = await startSwtpm(ca);
    driver = new TpmDriver({ tcti: tpm.tcti });
    ak = await driver.createAk((await driver.readEndorsement()).alg);
    events = [...bootEvents(CMDLINE), { pcr: 16, type: 0x0d, data: Buffer.from('sectorcrypt test event\0') }];
    for (const e of events) await extend(e.pcr, eventSha256(e));
    files = [
      { path: 'boot_aggregate', content: 'aggregate' },
      { path: '/usr/bin/sectorcrypt', content: 'v1 binary' },
      { path: '/etc/sectorcrypt/agent.json', content: '{"url":"https://broker"}' },
    ];
    for (const f of files) await extend(10, imaExtend(f));
    qd = quoteQualifyingData(new Uint8Array(randomBytes(32)), new Uint8Array([1, 2, 3]));
    q = await driver.quote(ak, PCRS, qd);
  }, 120_000);
  afterAll(async () => {
    await tpm?.stop();
    await ca?.remove();
  });

  const verify = (logs: TpmEvidence['eventLogs'], extra = {}) =>
    verifyTpmEvidence(
      { akPublic: Buffer.from(ak.public, 'base64'), attest: q.attest, signature: q.signature, pcrs: q.pcrs, eventLogs: logs },
      { akName: Buffer.from(ak.name, 'hex'), qualifyingData: qd, pcrs: PCRS, ...extra },
    );

  it('the logs replay to the quoted PCRs and give secure boot, the command line and IMA files as claims', () => {
    const result = verify({ uefi: uefiLog(events), ima: imaLog(files) });
    expect(result.ok, result.ok ? '' : result.reason).toBe(true);
    if (!result.ok) return;
    expect(result.claims['tpm.secureBoot']).toBe(true);
    expect(result.claims['tpm.kernelCmdline']).toBe(CMDLINE);
    expect(result.claims['tpm.ima']).toEqual({
      boot_aggregate: [`sha256:${sha256('aggregate').toString('hex')}`],
      '/usr/bin/sectorcrypt': [`sha256:${sha256('v1 binary').toString('hex')}`],
      '/etc/sectorcrypt/agent.json': [`sha256:${sha256('{"url":"https://broker"}').toString('hex')}`],
    });
  });

  it('without logs: the quote verifies, and no fact is claimed', () => {
    const result = verify(undefined);
    expect(result.ok).toBe(true);
    if (result.ok) {
      expect(result.claims).not.toHaveProperty('tpm.secureBoot');
      expect(result.claims).not.toHaveProperty('tpm.kernelCmdline');
      expect(result.claims).not.toHaveProperty('tpm.ima');
    }
  });

  it('a required log that was not sent is refused', () => {
    expect(verify({ ima: imaLog(files) }, { requireUefiLog: true })).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/UEFI event log is required/),
    });
  });

  describe('tampered UEFI logs', () => {
    it('the SecureBoot variable changed in the log, its digest recomputed: refused, naming PCR 7', () => {
      // The attacker rewrites the measured variable and the event digest to match it.
      const forged = events.map((e) =>
        e.pcr === 7 && e.type === 0x80000001 ? { ...e, data: variableData('SecureBoot', new Uint8Array([0])) } : e,
      );
      expect(verify({ uefi: uefiLog(forged) })).toMatchObject({
        ok: false,
        reason: expect.stringMatching(/^PCR 7: the UEFI event log replays to/),
      });
    });

    it('event data changed but its digest kept (so PCR 7 still replays): the fact is not claimed', () => {
      const kept = events.map((e) =>
        e.pcr === 7 && e.type === 0x80000001 ? { ...e, data: variableData('SecureBoot', new Uint8Array([0])), sha256: eventSha256(e) } : e,
      );
      const result = verify({ uefi: uefiLog(kept) });
      expect(result.ok).toBe(true);
      if (result.ok) expect(result.claims).not.toHaveProperty('tpm.secureBoot');
    });

    it('another kernel command line with the measured digest kept: not claimed', () => {
      const kept = events.map((e) =>
        e.pcr === 8
          ? { ...e, data: Buffer.from('kernel_cmdline: init=/bin/sh\0', 'latin1'), measured: undefined, sha256: eventSha256(e) }
          : e,
      );
      const result = verify({ uefi: uefiLog(kept) });
      expect(result.ok).toBe(true);
      if (result.ok) expect(result.claims).not.toHaveProperty('tpm.kernelCmdline');
    });

    it('an event dropped from the log: refused, naming its PCR', () => {
      expect(verify({ uefi: uefiLog(events.filter((e) => e.pcr !== 16)) }).ok).toBe(true); // PCR 16 not in the log: nothing checked, nothing claimed from it
      expect(verify({ uefi: uefiLog(events.filter((e) => e.type !== 0x4)) })).toMatchObject({
        ok: false,
        reason: expect.stringMatching(/^PCR 7:/),
      });
    });

    it('an event moved to another PCR: refused', () => {
      const moved = events.map((e) => (e.pcr === 16 ? { ...e, pcr: 8 } : e));
      expect(verify({ uefi: uefiLog(moved) })).toMatchObject({ ok: false, reason: expect.stringMatching(/^PCR 8:/) });
    });

    it('a log that is not an event log: refused with a reason, not a crash', () => {
      expect(verify({ uefi: new Uint8Array(randomBytes(300)) })).toMatchObject({
        ok: false,
        reason: expect.stringMatching(/TCG2 event log/),
      });
      expect(verify({ uefi: uefiLog(events).subarray(0, 150) })).toMatchObject({
        ok: false,
        reason: expect.stringMatching(/TCG2 event log/),
      });
    });
  });

  describe('IMA', () => {
    it('entries appended after the quote are not covered by it, and not claimed', () => {
      const later = [...files, { path: '/tmp/evil', content: 'x' }];
      const result = verify({ ima: imaLog(later) });
      expect(result.ok, result.ok ? '' : result.reason).toBe(true);
      if (result.ok) expect(Object.keys(result.claims['tpm.ima']!)).not.toContain('/tmp/evil');
    });

    it('a file hash changed in the log: refused, naming PCR 10', () => {
      const forged = files.map((f) => (f.path === '/usr/bin/sectorcrypt' ? { ...f, content: 'v2 binary' } : f));
      expect(verify({ ima: imaLog(forged) })).toMatchObject({
        ok: false,
        reason: 'PCR 10: the IMA log does not replay to the quoted value',
      });
    });

    it('a measured file left out of the log: refused', () => {
      expect(verify({ ima: imaLog(files.filter((f) => f.path !== '/usr/bin/sectorcrypt')) }).ok).toBe(false);
    });
  });
});
