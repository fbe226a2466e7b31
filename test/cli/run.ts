/** The CLI as a child process (the run's build of the sources, or tsx: see test/entry.ts). */
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CLI } from '../entry.js';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const entry = CLI;

export interface CliResult {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: Buffer;
  stderr: string;
}

export function cli(args: string[], input?: Uint8Array, env: Record<string, string> = {}): CliResult {
  const r = spawnSync(process.execPath, [...entry, ...args], {
    cwd: root,
    input,
    maxBuffer: 64 * 1024 * 1024,
    env: { ...process.env, ...env },
  });
  return { status: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr.toString() };
}

/** A running CLI: its process, and a promise of its exit status (128 + n after a handled signal). */
export function startCli(args: string[]): {
  child: ChildProcessWithoutNullStreams;
  stderr: () => string;
  exited: Promise<{ status: number | null; signal: NodeJS.Signals | null }>;
} {
  const child = spawn(process.execPath, [...entry, ...args], { cwd: root });
  let stderr = '';
  // Input still buffered when the child is killed would fail with EPIPE in this process.
  child.stdin.on('error', () => {});
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<{ status: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (status, signal) => resolve({ status, signal })),
  );
  return { child, stderr: () => stderr, exited };
}

/** Resolves once `check` is true, looking every 20 ms; gives up (throws) after `limitMs`. */
export async function waitFor(check: () => boolean, what: string, limitMs = 30_000): Promise<void> {
  for (let waited = 0; !check(); waited += 20) {
    if (waited > limitMs) throw new Error(`gave up waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
