/**
 * A whole release with and without TPM evidence, in the same run, against the same broker
 * (PGlite in memory, HTTPS on loopback): one agent enrolled plainly, one enrolled with a swtpm
 * (`tpm: TCTI`), each releasing a LUKS2 key in turn. The TPM release adds the challenge round
 * trip, the quote (tpm2-tools through the agent's driver), the event logs in the body (a UEFI
 * log and an IMA log of --ima entries), and the broker's verification and log replay.
 * Prints the median and 90th percentile of each after 3 rounds of warm-up.
 *
 *   node --import tsx bench/tpm-release.ts [--rounds 30] [--ima 1000]
 *
 * swtpm signs in microseconds; a hardware TPM takes tens to hundreds of milliseconds more.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes, randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { BrokerAgent } from '../src/agent/index.js';
import { hpkeSeal } from '../src/keys/hpke.js';
import { makeTenant, startBroker } from '../test/broker/helpers.js';
import { bootEvents, eventSha256, imaExtend, imaLog, sha256, uefiLog } from '../test/tpm/event-logs.js';
import { makeSwtpmCa, startSwtpm, tpmToolsMissing } from '../test/tpm/swtpm.js';

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '30' }, ima: { type: 'string', default: '1000' } } });
const ROUNDS = Number(values.rounds);
const IMA = Number(values.ima);

const missing = tpmToolsMissing();
if (missing) {
  console.error(`cannot run: ${missing}`);
  process.exit(77);
}

const stat = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return { median: Number(s[Math.floor(s.length / 2)]!.toFixed(1)), p90: Number(s[Math.floor(s.length * 0.9)]!.toFixed(1)) };
};

const h = await startBroker({ rateLimits: false });
const ca = await makeSwtpmCa();
const tpm = await startSwtpm(ca);
const dir = await mkdtemp(join(tmpdir(), 'sc-bench-tpm-'));
const agents: BrokerAgent[] = [];
try {
  const cmdline = 'root=/dev/mapper/root ro quiet';
  const events = bootEvents(cmdline);
  for (const e of events) await tpm.tool(['tpm2_pcrextend', `${e.pcr}:sha256=${eventSha256(e).toString('hex')}`]);
  const files = Array.from({ length: IMA }, (_, i) => ({ path: `/usr/lib/file-${i}`, content: `content ${i}` }));
  for (const f of files) await tpm.tool(['tpm2_pcrextend', `10:sha256=${imaExtend(f).toString('hex')}`]);
  const logs = { uefi: join(dir, 'uefi'), ima: join(dir, 'ima') };
  await writeFile(logs.uefi, uefiLog(events));
  await writeFile(logs.ima, imaLog(files));

  const t = await makeTenant(h);
  const call = async (method: string, path: string, body?: unknown) => {
    const a = await h.client.call(method, path, { token: t.admin, body });
    if (a.status >= 300) throw new Error(`${method} ${path}: ${a.status} ${JSON.stringify(a.body)}`);
    return a.body;
  };
  await call('POST', '/v1/issuers', { name: 'swtpm', kind: 'tpm', certificates: [await ca.issuerPem()] });
  const key = await call('POST', '/v1/keys', { name: 'bench' });
  const rules = (tpmRules: boolean) => ({
    allOf: [
      { claim: 'integrity.firewall', equals: true },
      ...(tpmRules
        ? [
            { claim: 'tpm.verified', equals: true },
            { claim: 'tpm.secureBoot', equals: true },
            { claim: 'tpm.kernelCmdline', in: [cmdline] },
            { claim: 'tpm.ima', allIn: Object.fromEntries(files.map((f) => [f.path, [`sha256:${sha256(f.content).toString('hex')}`]])) },
          ]
        : []),
    ],
  });
  for (const [name, group, tpmRules] of [
    ['plain', 'plain', false],
    ['tpm', 'tpm-hosts', true],
  ] as const) {
    await call('PUT', `/v1/policies/${name}`, {
      keys: [key.keyId],
      devices: { groups: [group] },
      rules: rules(tpmRules),
      approval: { mode: 'auto' },
    });
  }
  const enroll = async (group: string, withTpm: boolean) => {
    const { token } = await call('POST', '/v1/enrollment-tokens', { groups: [group] });
    const stateDir = join(dir, group);
    (
      await BrokerAgent.enroll({ url: h.url, ca: h.ca, token, stateDir, device: { name: group }, ...(withTpm ? { tpm: tpm.tcti } : {}) })
    ).close();
    const a = await BrokerAgent.load({
      stateDir,
      claims: { integrity: { firewall: true } },
      ...(withTpm ? { tpm: { eventLogs: logs } } : {}),
    });
    agents.push(a);
    return a;
  };
  const plain = await enroll('plain', false);
  const withTpm = await enroll('tpm-hosts', true);
  const volume = randomUUID();
  const te = new TextEncoder();
  const pub = new Uint8Array(Buffer.from(key.publicKey as string, 'base64'));
  const sealed = await hpkeSeal(
    'x25519',
    pub,
    te.encode('sectorcrypt-luks2/v1 broker'),
    te.encode(`${key.keyId}/1/${volume}`),
    randomBytes(32),
  );
  const s = { keyId: key.keyId as string, version: 1, ...sealed };
  const plainMs: number[] = [];
  const tpmMs: number[] = [];
  for (let r = 0; r < ROUNDS + 3; r++) {
    const t0 = performance.now();
    (await plain.unwrap(s, { resource: `luks2:${volume}` })).fill(0);
    const t1 = performance.now();
    (await withTpm.unwrap(s, { resource: `luks2:${volume}` })).fill(0);
    const t2 = performance.now();
    if (r >= 3) {
      plainMs.push(t1 - t0);
      tpmMs.push(t2 - t1);
    }
  }
  const p = stat(plainMs);
  const q = stat(tpmMs);
  console.log(
    JSON.stringify({
      rounds: ROUNDS,
      imaEntries: IMA,
      releaseMs: p,
      releaseWithTpmMs: q,
      addedMedianMs: Number((q.median - p.median).toFixed(1)),
    }),
  );
} finally {
  for (const a of agents) a.close();
  await tpm.stop();
  await ca.remove();
  await h.stop();
  await rm(dir, { recursive: true, force: true });
}
