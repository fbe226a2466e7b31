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
  /**
   * The AES ceiling this row is set against, MB/s: for a native kernel its own calibration
   * run, measured just before the row; for other rows the fastest kernel's (the hardware's).
   * Null when no native kernel runs here.
   */
  ceilingMBps: number | null;
  /** encryptMBps / ceilingMBps and decryptMBps / ceilingMBps. */
  ofCeiling: { encrypt: number; decrypt: number } | null;
}

/** A kernel's AES ceiling at one key size: the median of its calibration runs in this bench. */
export interface CeilingResult {
  kernel: string;
  keyBits: number;
  mbps: number;
  runs: number;
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
  /** Each native kernel's AES ceiling (calibration kernel: independent round chains, no memory). */
  ceilings: CeilingResult[];
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

/** AES done per timed calibration call: long enough to time, short enough for many samples. */
const CEILING_BYTES = 1 << 20;

/** MB/s of the kernel's calibration run (Kernel::aes_ceiling in native/kernel.h). */
async function ceiling(kernel: string, keyBits: number, seconds: number): Promise<number> {
  const run = loadNative().aesCeiling;
  if (!run) throw new Error('native addon has no calibration kernel');
  const bytes = run(kernel, keyBits, CEILING_BYTES);
  return (await measure(() => run(kernel, keyBits, CEILING_BYTES), bytes, seconds)).mbps;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Sync over one core against async spread over the thread pool, one big XTS batch. */
async function scaling(kernel: string, seconds: number): Promise<ScalingResult> {
  const data = randomBytes(SCALING_BYTES);
  const xts = new XtsCipher(randomBytes(64), { sectorSize: 4096, backend: 'native', kernel });
  const sync = await measure(() => xts.encryptSectors(data, 0, data), SCALING_BYTES, seconds);
  const async = await measure(() => xts.encryptSectorsAsync(data, 0, data), SCALING_BYTES, seconds);
  return {
    mode: 'xts',
    keyBits: 256,
    unit: 4096,
    bytes: SCALING_BYTES,
    kernel,
    syncMBps: sync.mbps,
    asyncMBps: async.mbps,
    ratio: async.mbps / sync.mbps,
    cores: os.availableParallelism(),
  };
}

export async function runBench(opts: BenchOptions, version: string): Promise<BenchReport> {
  const list = targets(opts);
  const cases = buildCases({ modes: opts.modes, targets: list });
  const nativeKernels = list.filter((t) => t.backend === 'native').map((t) => t.kernel);
  const doScaling = opts.modes.includes('xts') && nativeKernels.length > 0;
  const nativeCases = cases.filter((c) => c.backend === 'native').length;
  const total = cases.length * 2 + nativeCases + (doScaling ? 2 : 0);
  let done = 0;
  const rows: ResultRow[] = [];
  // Every native row is set against its kernel's ceiling measured right before it, so
  // that the machine's state (clock, other load) is the same for both.
  const ceilingRuns = new Map<string, number[]>();
  const ceilingKey = (kernel: string, keyBits: number) => `${kernel}/${keyBits}`;
  for (const c of cases) {
    let ceilingMBps: number | null = null;
    if (c.backend === 'native') {
      ceilingMBps = await ceiling(c.kernel, c.keyBits, opts.seconds);
      const key = ceilingKey(c.kernel, c.keyBits);
      ceilingRuns.set(key, [...(ceilingRuns.get(key) ?? []), ceilingMBps]);
      opts.progress?.(++done, total, `${c.kernel} aes-${c.keyBits} ceiling`);
    }
    const enc = await measure(c.encrypt, c.batch, opts.seconds);
    opts.progress?.(++done, total, `${label(c)} encrypt`);
    const dec = await measure(c.decrypt, c.batch, opts.seconds);
    opts.progress?.(++done, total, `${label(c)} decrypt`);
    rows.push({
      mode: c.mode,
      keyBits: c.keyBits,
      unit: c.unit,
      batch: c.batch,
      backend: c.backend,
      kernel: c.kernel,
      encryptMBps: enc.mbps,
      decryptMBps: dec.mbps,
      vsNodeCrypto: null,
      ceilingMBps,
      ofCeiling: null,
    });
  }
  const ceilings: CeilingResult[] = [...ceilingRuns].map(([key, runs]) => {
    const [kernel, bits] = key.split('/');
    return { kernel, keyBits: Number(bits), mbps: median(runs), runs: runs.length };
  });
  for (const row of rows) {
    const node = rows.find((r) => r.backend === 'node:crypto' && r.mode === row.mode && r.keyBits === row.keyBits && r.unit === row.unit);
    if (node) row.vsNodeCrypto = { encrypt: row.encryptMBps / node.encryptMBps, decrypt: row.decryptMBps / node.decryptMBps };
    if (row.ceilingMBps === null) {
      // Not a native kernel: against the hardware's ceiling, the fastest kernel's at this key size.
      const best = ceilings.filter((c) => c.keyBits === row.keyBits).map((c) => c.mbps);
      row.ceilingMBps = best.length > 0 ? Math.max(...best) : null;
    }
    if (row.ceilingMBps !== null)
      row.ofCeiling = { encrypt: row.encryptMBps / row.ceilingMBps, decrypt: row.decryptMBps / row.ceilingMBps };
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
    ceilings,
    scaling: scalingRows,
    opensslSpeed: speed,
  };
}
