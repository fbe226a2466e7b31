/**
 * tpm2-tools, run without a shell (argv arrays through runProgram) against one TCTI, in a
 * private temp folder (0700, removed afterwards) for the files the tools read and write.
 */
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SectorCryptError } from '../../../errors.js';
import { DEFAULT_ENV, firstLine, runProgram } from '../../claims/run.js';

/** The kernel's resource manager: `--tpm` with no value. */
export const DEFAULT_TCTI = 'device:/dev/tpmrm0';

const LIMITS = { timeoutMs: 30_000, maxOutputBytes: 4 * 1024 * 1024 };

/**
 * A TCTI string as tpm2-tools take it (`device:/dev/tpmrm0`, `swtpm:host=...,port=...`,
 * `tabrmd`, `mssim:...`). It goes into the environment, never into a shell; control
 * characters are refused all the same.
 */
export function parseTcti(value: string | true | undefined): string {
  if (value === undefined || value === true || value === '') return DEFAULT_TCTI;
  if (!/^[a-z0-9_-]+(:[\x21-\x7e]*)?$/i.test(value))
    throw new SectorCryptError('ERR_ARGUMENT', `--tpm: not a TCTI string (such as ${DEFAULT_TCTI} or swtpm:host=127.0.0.1,port=2321)`);
  return value;
}

export interface TpmTools {
  readonly tcti: string;
  /** Run `argv` (a tpm2-tools program) with the TCTI; throws ERR_TPM with its first stderr line. */
  run(argv: string[]): Promise<Buffer>;
  /** Flush transient objects and sessions: without a resource manager (swtpm, a raw device) they stay loaded. */
  flush(): Promise<void>;
}

export function tpmTools(tcti: string, timeoutMs = LIMITS.timeoutMs): TpmTools {
  const env = { ...DEFAULT_ENV, TPM2TOOLS_TCTI: tcti };
  const run = async (argv: string[]): Promise<Buffer> => {
    const result = await runProgram(argv, { ...LIMITS, timeoutMs, env });
    if (!result.ok) throw new SectorCryptError('ERR_TPM', `${argv[0]}: ${result.reason}`);
    if (result.exitCode !== 0)
      throw new SectorCryptError('ERR_TPM', `${argv[0]} failed (exit ${result.exitCode}): ${lastErrorLine(result.stderr)}`);
    return result.stdout;
  };
  return {
    tcti,
    run,
    async flush() {
      await run(['tpm2_flushcontext', '-t']).catch(() => undefined);
      await run(['tpm2_flushcontext', '-s']).catch(() => undefined);
    },
  };
}

/** tpm2-tools print the cause last ("ERROR: Unable to run ..." follows it). */
function lastErrorLine(stderr: Buffer): string {
  const lines = stderr
    .toString('utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !/Unable to run/.test(l));
  return lines.find((l) => /tpm:|ERROR: Esys/.test(l))?.slice(0, 200) ?? lines[lines.length - 1]?.slice(0, 200) ?? firstLine(stderr);
}

/** A private folder (0700) for one operation's files, removed when `fn` ends. */
export async function withTempDir<T>(fn: (dir: TempDir) => Promise<T>): Promise<T> {
  const path = await mkdtemp(join(tmpdir(), 'sectorcrypt-tpm-'));
  try {
    return await fn(new TempDir(path));
  } finally {
    await rm(path, { recursive: true, force: true });
  }
}

export class TempDir {
  constructor(readonly path: string) {}
  file(name: string): string {
    return join(this.path, name);
  }
  async write(name: string, data: Uint8Array): Promise<string> {
    const p = this.file(name);
    await writeFile(p, data, { mode: 0o600 });
    return p;
  }
  /** Read a file a tool wrote (tpm2-tools create them 0660 under the umask: tighten first). */
  async read(name: string): Promise<Uint8Array> {
    const p = this.file(name);
    await chmod(p, 0o600);
    return new Uint8Array(await readFile(p));
  }
}
