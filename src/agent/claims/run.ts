/**
 * Run a program (an argv array, never a shell) with a time limit and an output cap, so a
 * hung or chatty tool cannot stall or flood the agent.
 */
import { spawn } from 'node:child_process';

export interface RunOptions {
  timeoutMs: number;
  maxOutputBytes: number;
  /** Environment for the child; default a fixed PATH and the C locale (stable output). */
  env?: NodeJS.ProcessEnv;
}

export type RunResult = { ok: true; exitCode: number; stdout: Buffer; stderr: Buffer } | { ok: false; reason: string };

export const DEFAULT_ENV: NodeJS.ProcessEnv = { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', LC_ALL: 'C' };

export function runProgram(argv: readonly string[], options: RunOptions): Promise<RunResult> {
  return new Promise((resolve) => {
    const [file, ...args] = argv;
    if (!file) return resolve({ ok: false, reason: 'empty argv' });
    const child = spawn(file, args, { env: options.env ?? DEFAULT_ENV, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let size = 0;
    let failure: string | undefined;
    const stop = (reason: string) => {
      failure ??= reason;
      child.kill('SIGKILL');
    };
    const timer = setTimeout(() => stop(`timed out after ${options.timeoutMs} ms`), options.timeoutMs);
    const take = (into: Buffer[]) => (chunk: Buffer) => {
      size += chunk.length;
      if (size > options.maxOutputBytes) return stop(`output exceeds ${options.maxOutputBytes} bytes`);
      into.push(chunk);
    };
    child.stdout.on('data', take(out));
    child.stderr.on('data', take(err));
    child.on('error', (e) => {
      clearTimeout(timer);
      resolve({ ok: false, reason: `cannot run ${file}: ${e.message}` });
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (failure) return resolve({ ok: false, reason: failure });
      if (code === null) return resolve({ ok: false, reason: `${file} ended by signal ${signal}` });
      resolve({ ok: true, exitCode: code, stdout: Buffer.concat(out), stderr: Buffer.concat(err) });
    });
  });
}

/** First line of a tool's stderr, for a reason string. */
export function firstLine(bytes: Buffer): string {
  return bytes.toString('utf8').trim().split('\n')[0]?.slice(0, 200) ?? '';
}
