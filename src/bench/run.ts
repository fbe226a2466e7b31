/** Runs the benchmark cases and collects one result row per case. */
import os from 'node:os';
import { randomBytes } from 'node:crypto';
import { XtsCipher } from '../xts.js';
import { backendInfo } from '../backend/select.js';
import { loadNative } from '../backend/native.js';
import { buildCases, type Case, type CaseInfo, type Mode, type Target } from './cases.js';
import { measure } from './measure.js';
import { opensslSpeed, type OpensslRow } from './openssl.js';

export interface BenchOptions {
  seconds: number;
  modes: Mode[];
  /** 'all' (default), 'native' or 'portable'. */
  backend: 'all' | 'native' | 'portable';
  /** Only this native kernel (default: every kernel the CPU runs). */
  kernel?: string;
  /** Also run `openssl speed -evp` at 16 KiB for reference. */
  openssl?: boolean;
  /** Called after each measurement with (done, total, label). */
  progress?: (done: number, total: number, label: string) => void;
}

export interface ResultRow extends CaseInfo {
  encryptMBps: number;
  decryptMBps: number;
  /** This row's rate over node:crypto's for the same mode, key and unit (encrypt, decrypt). */
  vsNodeCrypto: { encrypt: number; decrypt: number } | null;
}

export interface ScalingResult {
  mode: 'xts';
  keyBits: number;
  unit: number;
  bytes: number;
  kernel: string;
  syncMBps: number;
  asyncMBps: number;
  /** asyncMBps / syncMBps: how well the async path spreads over the cores. */
  ratio: number;
  cores: number;
}

export interface BenchReport {
  sectorcrypt: string;
  node: string;
  openssl: string;
  cpu: { model: string; cores: number; features: Record<string, boolean> };
  backend: ReturnType<typeof backendInfo>;
  seconds: number;
  unit: 'MB/s (10^6 bytes per second), median of tinybench samples';
  rows: ResultRow[];
  scaling: ScalingResult[];
  /** `openssl speed -evp` at 16 KiB, when asked for; empty otherwise. */
  opensslSpeed: OpensslRow[];
}

function targets(opts: BenchOptions): Target[] {
  const list: Target[] = [];
  if (opts.backend !== 'portable') {
    for (const kernel of loadNative().kernels) {
      if (opts.kernel === undefined || opts.kernel === kernel) list.push({ backend: 'native', kernel });
    }
  }
  if (opts.backend !== 'native' && opts.kernel === undefined) list.push({ backend: 'portable', kernel: 'portable' });
  return list;
}

function label(c: Case): string {
  return `${c.mode}-${c.keyBits} ${c.unit} B ${c.backend}/${c.kernel}`;
}

const SCALING_BYTES = 64 << 20;

/** Sync over one core against async spread over the thread pool, one big XTS batch. */
async function scaling(kernel: string, seconds: number): Promise<ScalingResult> {
  const data = randomBytes(SCALING_BYTES);
  const xts = new XtsCipher(randomBytes(64), { sectorSize: 4096, backend: 'native', kernel });
  const sync = await measure(() => xts.encryptSectors(data, 0, data), SCALING_BYTES, seconds);
  const async = await measure(() => xts.encryptSectorsAsync(data, 0, data), SCALING_BYTES, seconds);
  return {
    mode: 'xts', keyBits: 256, unit: 4096, bytes: SCALING_BYTES, kernel,
    syncMBps: sync.mbps, asyncMBps: async.mbps, ratio: async.mbps / sync.mbps, cores: os.availableParallelism(),
  };
}

export async function runBench(opts: BenchOptions, version: string): Promise<BenchReport> {
  const list = targets(opts);
  const cases = buildCases({ modes: opts.modes, targets: list });
  const nativeKernels = list.filter((t) => t.backend === 'native').map((t) => t.kernel);
  const doScaling = opts.modes.includes('xts') && nativeKernels.length > 0;
  const total = cases.length * 2 + (doScaling ? 2 : 0);
  let done = 0;
  const rows: ResultRow[] = [];
  for (const c of cases) {
    const enc = await measure(c.encrypt, c.batch, opts.seconds);
    opts.progress?.(++done, total, `${label(c)} encrypt`);
    const dec = await measure(c.decrypt, c.batch, opts.seconds);
    opts.progress?.(++done, total, `${label(c)} decrypt`);
    rows.push({
      mode: c.mode, keyBits: c.keyBits, unit: c.unit, batch: c.batch, backend: c.backend, kernel: c.kernel,
      encryptMBps: enc.mbps, decryptMBps: dec.mbps, vsNodeCrypto: null,
    });
  }
  for (const row of rows) {
    const node = rows.find((r) => r.backend === 'node:crypto' && r.mode === row.mode && r.keyBits === row.keyBits && r.unit === row.unit);
    if (node) row.vsNodeCrypto = { encrypt: row.encryptMBps / node.encryptMBps, decrypt: row.decryptMBps / node.decryptMBps };
  }
  const scalingRows: ScalingResult[] = [];
  if (doScaling) {
    scalingRows.push(await scaling(nativeKernels[0], opts.seconds * 2));
    done += 2;
    opts.progress?.(done, total, 'xts async scaling');
  }
  const speed = opts.openssl ? await opensslSpeed(opts.modes, opts.seconds * 2) : [];
  const cpus = os.cpus();
  return {
    sectorcrypt: version,
    node: process.versions.node,
    openssl: process.versions.openssl,
    cpu: { model: cpus[0]?.model.trim() ?? 'unknown', cores: os.availableParallelism(), features: loadNative().cpu },
    backend: backendInfo(),
    seconds: opts.seconds,
    unit: 'MB/s (10^6 bytes per second), median of tinybench samples',
    rows,
    scaling: scalingRows,
    opensslSpeed: speed,
  };
}
