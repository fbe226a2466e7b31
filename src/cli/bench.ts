/** `sectorcrypt bench`: MB/s of each mode, key size and kernel beside node:crypto and noble. */
import { InvalidArgumentError, type Command } from 'commander';
import { runBench, type BenchOptions } from '../bench/run.js';
import { formatTable } from '../bench/report.js';
import type { Mode } from '../bench/cases.js';
import { SectorCryptError } from '../errors.js';
import { loadNative } from '../backend/native.js';
import { createProgress } from './progress.js';
import { packageVersion } from './version.js';
import { seconds } from './args.js';

interface Flags {
  json?: boolean;
  seconds: number;
  backend: BenchOptions['backend'];
  kernel?: string;
  mode?: Mode;
  openssl?: boolean;
}

function oneOf<T extends string>(values: readonly T[]) {
  return (value: string): T => {
    if (!(values as readonly string[]).includes(value)) throw new InvalidArgumentError(`must be one of ${values.join(', ')}`);
    return value as T;
  };
}

/** Kernels the addon knows; whether this CPU runs one is asked of the addon. */
const KERNELS = ['aesni', 'vaes-avx2', 'vaes-avx512'];

/** Refuses what would benchmark something other than what was asked for. */
function checkKernelFlags(flags: Flags): void {
  if (flags.kernel !== undefined) {
    if (!KERNELS.includes(flags.kernel)) {
      throw new SectorCryptError('ERR_ARGUMENT', `unknown kernel ${flags.kernel}; kernels are ${KERNELS.join(', ')}`);
    }
    if (flags.backend === 'portable') {
      throw new SectorCryptError('ERR_ARGUMENT', '--kernel picks a native kernel; it cannot go with --backend portable');
    }
  }
  if (flags.backend === 'native' || flags.kernel !== undefined) {
    const native = loadNative();
    if (native.kernels.length === 0) throw new SectorCryptError('ERR_BACKEND_UNAVAILABLE', `native backend unavailable: ${native.reason}`);
    if (flags.kernel !== undefined && !native.kernels.includes(flags.kernel)) {
      throw new SectorCryptError(
        'ERR_BACKEND_UNAVAILABLE',
        `kernel ${flags.kernel} cannot run here; this CPU runs: ${native.kernels.join(', ')}`,
      );
    }
  }
}

export function registerBench(program: Command): void {
  program
    .command('bench')
    .description('measure encrypt and decrypt rates on this CPU')
    .option('--json', 'print one JSON object instead of the table')
    .option('--seconds <n>', 'time per measurement', seconds('--seconds', { max: 60, fractions: true }), 0.5)
    .option('--backend <which>', 'all, native or portable', oneOf(['all', 'native', 'portable'] as const), 'all')
    .option('--kernel <name>', 'only this native kernel (aesni, vaes-avx2, vaes-avx512, armv8-ce)')
    .option('--mode <mode>', 'only xts or gcm', oneOf(['xts', 'gcm'] as const))
    .option('--openssl', 'also run `openssl speed -evp` at 16 KiB for reference')
    .action(async (flags: Flags) => {
      checkKernelFlags(flags);
      const progress = createProgress();
      const report = await runBench(
        {
          seconds: flags.seconds,
          modes: flags.mode ? [flags.mode] : ['xts', 'gcm'],
          openssl: flags.openssl === true,
          backend: flags.kernel ? 'native' : flags.backend,
          ...(flags.kernel ? { kernel: flags.kernel } : {}),
          progress: (done, total, label) => progress.update(done, total, label),
        },
        packageVersion(),
      ).finally(() => progress.stop());
      process.stdout.write(flags.json ? `${JSON.stringify(report, null, 2)}\n` : `${formatTable(report)}\n`);
    });
}
