/** A progress bar on stderr when it is a terminal; nothing otherwise (logs stay clean). */
import cliProgress from 'cli-progress';

export interface Progress {
  update(done: number, total: number, label?: string): void;
  stop(): void;
}

export function createProgress(format = '{bar} {percentage}% | {value}/{total} {label}'): Progress {
  if (!process.stderr.isTTY) return { update() {}, stop() {} };
  const bar = new cliProgress.SingleBar(
    { stream: process.stderr, format, hideCursor: true, clearOnComplete: true },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  return {
    update(done, total, label = '') {
      if (!started) {
        bar.start(total, done, { label });
        started = true;
      }
      bar.setTotal(total);
      bar.update(done, { label });
    },
    stop() {
      if (started) bar.stop();
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
