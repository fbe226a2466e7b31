/**
 * What TPM evidence adds to a release: one quote on the agent (tpm2_quote through the agent's
 * driver, against a swtpm the bench starts) and its verification on the broker
 * (verifyTpmEvidence, with a UEFI event log and an IMA log of 1000 entries replayed, and
 * without logs). Prints
 * the median and the 90th percentile of each over 30 rounds, after 3 rounds of warm-up.
 *
 *   node --import tsx bench/tpm-quote.ts
 *
 * swtpm answers in microseconds where a hardware TPM takes tens to hundreds of
 * milliseconds to sign: the quote figure here is the tools' and the driver's cost, a floor.
 */
import { randomBytes } from 'node:crypto';
import { TpmDriver } from '../src/agent/attest/tpm/index.js';
import { quoteQualifyingData, verifyTpmEvidence } from '../src/broker/attest/tpm/index.js';
import { bootEvents, eventSha256, imaExtend, imaLog, uefiLog } from '../test/tpm/event-logs.js';
import { makeSwtpmCa, startSwtpm, tpmToolsMissing } from '../test/tpm/swtpm.js';

const ROUNDS = 30;
const PCRS = [0, 1, 2, 3, 4, 5, 6, 7, 8, 10];

const missing = tpmToolsMissing();
if (missing) {
  console.error(`cannot run: ${missing}`);
  process.exit(77);
}

const stat = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return { median: Number(s[Math.floor(s.length / 2)]!.toFixed(2)), p90: Number(s[Math.floor(s.length * 0.9)]!.toFixed(2)) };
};

const ca = await makeSwtpmCa();
const tpm = await startSwtpm(ca);
try {
  const driver = new TpmDriver({ tcti: tpm.tcti });
  const ak = await driver.createAk((await driver.readEndorsement()).alg);
  const events = bootEvents('root=/dev/mapper/root ro quiet');
  for (const e of events) await tpm.tool(['tpm2_pcrextend', `${e.pcr}:sha256=${eventSha256(e).toString('hex')}`]);
  const files = Array.from({ length: 1000 }, (_, i) => ({ path: `/usr/lib/file-${i}`, content: `content ${i}` }));
  // One pcrextend call per 8 digests would be faster; 1000 calls once is fine for a bench.
  for (const f of files) await tpm.tool(['tpm2_pcrextend', `10:sha256=${imaExtend(f).toString('hex')}`]);
  const logs = { uefi: uefiLog(events), ima: imaLog(files) };
  const quoteMs: number[] = [];
  const verifyMs: number[] = [];
  const verifyNoLogsMs: number[] = [];
  for (let r = 0; r < ROUNDS + 3; r++) {
    const qd = quoteQualifyingData(new Uint8Array(randomBytes(32)), new TextEncoder().encode('{"keyId":"k"}'));
    const t0 = performance.now();
    const q = await driver.quote(ak, PCRS, qd);
    const t1 = performance.now();
    const result = verifyTpmEvidence(
      { akPublic: Buffer.from(ak.public, 'base64'), attest: q.attest, signature: q.signature, pcrs: q.pcrs, eventLogs: logs },
      { akName: Buffer.from(ak.name, 'hex'), qualifyingData: qd, pcrs: PCRS },
    );
    const t2 = performance.now();
    const bare = verifyTpmEvidence(
      { akPublic: Buffer.from(ak.public, 'base64'), attest: q.attest, signature: q.signature, pcrs: q.pcrs },
      { akName: Buffer.from(ak.name, 'hex'), qualifyingData: qd, pcrs: PCRS },
    );
    const t3 = performance.now();
    if (!result.ok || !bare.ok) throw new Error(result.ok ? 'quote without logs refused' : result.reason);
    if (r >= 3) {
      quoteMs.push(t1 - t0);
      verifyMs.push(t2 - t1);
      verifyNoLogsMs.push(t3 - t2);
    }
  }
  console.log(
    JSON.stringify({
      pcrs: PCRS.length,
      imaEntries: files.length,
      quoteMs: stat(quoteMs),
      verifyMs: stat(verifyMs),
      verifyWithoutLogsMs: stat(verifyNoLogsMs),
    }),
  );
} finally {
  await tpm.stop();
  await ca.remove();
}
