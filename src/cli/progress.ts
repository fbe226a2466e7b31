/**
 * A progress bar on stderr when it is a terminal, with the rate and the time left; nothing
 * otherwise (logs stay clean). stop(summary) replaces the bar by one line that stays on screen.
 */
import cliProgress from 'cli-progress';

export interface Progress {
  update(done: number, total: number, label?: string): void;
  /** Removes the bar; `summary`, when given, is printed in its place and stays. */
  stop(summary?: string): void;
}

/** 1536 -> "1.5 KiB"; bytes in powers of 1024 with one decimal. */
export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = n;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${n} B` : `${value.toFixed(1)} ${units[unit]}`;
}

/** "12.0 MiB in 3.0 s (4.0 MiB/s)": what a finished byte-moving command prints. */
export function formatSummary(verb: string, bytes: number, seconds: number): string {
  const rate = seconds > 0 ? ` (${formatBytes(Math.round(bytes / seconds))}/s)` : '';
  return `${verb} ${formatBytes(bytes)} in ${seconds.toFixed(1)} s${rate}`;
}

export const BYTES_FORMAT = '{bar} {percentage}% | {done} of {size} | {rate} | ETA {eta_formatted}';

interface ProgressStream extends NodeJS.WritableStream {
  isTTY?: boolean;
}

/**
 * `format` may use cli-progress's fields ({bar}, {percentage}, {eta_formatted}...) and
 * {label}, {done}, {size} (bytes, human-readable) and {rate} (bytes per second so far).
 */
export function createProgress(
  format = '{bar} {percentage}% | {value}/{total} {label} | ETA {eta_formatted}',
  stream: ProgressStream = process.stderr,
  clock: () => number = Date.now,
): Progress {
  if (!stream.isTTY) return { update() {}, stop() {} };
  const bar = new cliProgress.SingleBar(
    { stream, format, hideCursor: true, clearOnComplete: true, etaBuffer: 50 },
    cliProgress.Presets.shades_classic,
  );
  let started = 0;
  const payload = (done: number, total: number, label: string) => {
    const seconds = (clock() - started) / 1000;
    return {
      label,
      done: formatBytes(done),
      size: formatBytes(total),
      rate: seconds > 0 ? `${formatBytes(Math.round(done / seconds))}/s` : '-',
    };
  };
  return {
    update(done, total, label = '') {
      if (!started) {
        started = clock();
        bar.start(total, done, payload(done, total, label));
      }
      bar.setTotal(total);
      bar.update(done, payload(done, total, label));
    },
    stop(summary) {
      if (started) bar.stop();
      if (summary !== undefined) stream.write(`${summary}\n`);
    },
  };
}

/**
 * Shows `text` on stderr while `work` runs (a terminal only; the line is cleared after):
 * a passphrase KDF takes seconds with nothing else on screen.
 */
export async function noteWhile<T>(text: string, work: () => Promise<T>): Promise<T> {
  if (!process.stderr.isTTY) return work();
  process.stderr.write(`${text}...`);
  try {
    return await work();
  } finally {
    process.stderr.write('\r\x1b[K');
  }
}
