/**
 * Reference figures from `openssl speed -evp` (OpenSSL's own assembly, one buffer reused,
 * no allocation): the bar the fast-kernel targets are set against. Runs only when asked
 * (`sectorcrypt bench --openssl`) and when an `openssl` binary is on PATH.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { Mode } from './cases.js';

export interface OpensslRow {
  mode: Mode;
  keyBits: number;
  /** Bytes per call, as `-bytes` says. */
  unit: number;
  direction: 'encrypt' | 'decrypt';
  mbps: number;
  version: string;
}

const run = promisify(execFile);

/** Parses the last line of `openssl speed -bytes N` ("AES-256-XTS  6968950.78k"): 1000s of bytes per second. */
export function parseSpeed(output: string): number | undefined {
  const match = /^\S+\s+([\d.]+)k\s*$/m.exec(output.trim().split('\n').pop() ?? '');
  return match ? (Number(match[1]) * 1000) / 1e6 : undefined;
}

export async function opensslSpeed(modes: Mode[], seconds: number): Promise<OpensslRow[]> {
  let version: string;
  try {
    version = (await run('openssl', ['version'])).stdout.trim();
  } catch {
    return [];
  }
  const rows: OpensslRow[] = [];
  const secs = String(Math.max(1, Math.round(seconds)));
  for (const mode of modes) {
    for (const keyBits of [128, 256]) {
      for (const direction of ['encrypt', 'decrypt'] as const) {
        const args = ['speed', '-evp', `aes-${keyBits}-${mode}`, '-bytes', '16384', '-seconds', secs];
        if (direction === 'decrypt') args.push('-decrypt');
        const { stdout } = await run('openssl', args);
        const mbps = parseSpeed(stdout);
        if (mbps !== undefined) rows.push({ mode, keyBits, unit: 16384, direction, mbps, version });
      }
    }
  }
  return rows;
}
