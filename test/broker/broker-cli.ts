/** `sectorcrypt broker ARGS` as a child process, for the suites that drive the management CLI. */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { CLI } from '../entry.js';
import type { Harness } from './helpers.js';

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs the CLI with `env` over the test's environment (a token set there is cleared unless
 * `env` names one); `input` goes to standard input, which is closed either way.
 */
export function brokerCli(env: NodeJS.ProcessEnv, args: string[], input?: string): Promise<CliRun> {
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      [...CLI, 'broker', ...args],
      { env: { ...process.env, SECTORCRYPT_BROKER_TOKEN: '', ...env } },
      (err, stdout, stderr) => resolve({ code: err ? Number(err.code ?? 1) : 0, stdout, stderr }),
    );
    child.stdin!.end(input ?? '');
  });
}

/** The connection to the harness's broker (its own CA file) with a token. */
export function harnessEnv(h: Harness, token: string): NodeJS.ProcessEnv {
  return { SECTORCRYPT_BROKER_URL: h.url, SECTORCRYPT_BROKER_CA: join(h.dir, 'data', 'ca.pem'), SECTORCRYPT_BROKER_TOKEN: token };
}
