/**
 * A throwaway TPM 2.0 for the tests: Debian's swtpm, manufactured by swtpm_setup with an EK
 * certificate and a platform certificate issued by swtpm_localca, whose CA (the test's "TPM
 * manufacturer") lives in a temp folder. Every configuration file swtpm_setup and
 * swtpm_localca read is written into that folder and passed explicitly, and HOME /
 * XDG_CONFIG_HOME point there too, so nothing in /etc or the user's home is read or changed.
 *
 * The TPM listens on 127.0.0.1 (server port P, control port P+1); tests reach it with the TCTI
 * `swtpm:host=127.0.0.1,port=P`. `tpmToolsMissing()` says why the tests cannot run here.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

const TOOLS = [
  'swtpm',
  'swtpm_setup',
  'swtpm_localca',
  'tpm2_createek',
  'tpm2_createak',
  'tpm2_quote',
  'tpm2_activatecredential',
  'tpm2_pcrextend',
];

function onPath(tool: string): boolean {
  return (process.env.PATH ?? '/usr/bin:/bin').split(':').some((dir) => dir && existsSync(join(dir, tool)));
}

/** Why swtpm tests cannot run here, or undefined when they can. */
export function tpmToolsMissing(): string | undefined {
  const missing = TOOLS.filter((t) => !onPath(t));
  if (missing.length === 0) return undefined;
  return `${missing.join(', ')} not installed (Debian packages swtpm, swtpm-tools, tpm2-tools)`;
}

/** The CA that plays the TPM manufacturer; shared by every swtpm made with it. */
export interface SwtpmCa {
  readonly dir: string;
  /** swtpm_localca's self-signed root (created with the first TPM). */
  rootPem(): Promise<string>;
  /** The intermediate that signs EK certificates. */
  issuerPem(): Promise<string>;
  remove(): Promise<void>;
}

export interface Swtpm {
  readonly tcti: string;
  readonly port: number;
  readonly dir: string;
  /** Environment for tpm2-tools run by a test against this TPM. */
  readonly env: NodeJS.ProcessEnv;
  /** Run one tpm2-tools program (argv, no shell) against this TPM; resolves to stdout. */
  tool(argv: string[]): Promise<string>;
  stop(): Promise<void>;
}

export async function makeSwtpmCa(): Promise<SwtpmCa> {
  const dir = await mkdtemp(join(tmpdir(), 'sectorcrypt-swtpm-ca-'));
  const ca = join(dir, 'ca');
  await mkdir(ca, { mode: 0o700 });
  await writeFile(
    join(dir, 'swtpm-localca.conf'),
    [`statedir = ${ca}`, `signingkey = ${ca}/signkey.pem`, `issuercert = ${ca}/issuercert.pem`, `certserial = ${ca}/certserial`, ''].join(
      '\n',
    ),
  );
  await writeFile(
    join(dir, 'swtpm-localca.options'),
    ['--platform-manufacturer sectorcrypt-test', '--platform-version 2.1', '--platform-model swtpm', ''].join('\n'),
  );
  await writeFile(
    join(dir, 'swtpm_setup.conf'),
    [
      'create_certs_tool = /usr/bin/swtpm_localca',
      `create_certs_tool_config = ${dir}/swtpm-localca.conf`,
      `create_certs_tool_options = ${dir}/swtpm-localca.options`,
      'active_pcr_banks = sha256',
      '',
    ].join('\n'),
  );
  return {
    dir,
    rootPem: () => readFile(join(ca, 'swtpm-localca-rootca-cert.pem'), 'utf8'),
    issuerPem: () => readFile(join(ca, 'issuercert.pem'), 'utf8'),
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

/** Two consecutive free ports (server P, control P+1) on 127.0.0.1. */
async function freePortPair(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = 20000 + Math.floor(Math.random() * 40000);
    if ((await portFree(port)) && (await portFree(port + 1))) return port;
  }
  throw new Error('no two consecutive free ports on 127.0.0.1');
}

async function waitForPort(port: number, child: ChildProcess, stderr: () => string): Promise<void> {
  const { connect } = await import('node:net');
  for (let i = 0; i < 200; i++) {
    if (child.exitCode !== null) throw new Error(`swtpm exited (${child.exitCode}): ${stderr()}`);
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect(port, '127.0.0.1');
      s.once('connect', () => (s.destroy(), resolve(true)));
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`swtpm did not listen on ${port}: ${stderr()}`);
}

/** Manufacture a TPM (EK, EK certificate from `ca`) and start it; stop() removes it. */
export async function startSwtpm(ca: SwtpmCa): Promise<Swtpm> {
  const dir = await mkdtemp(join(tmpdir(), 'sectorcrypt-swtpm-'));
  const state = join(dir, 'state');
  await mkdir(state, { mode: 0o700 });
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: dir, XDG_CONFIG_HOME: dir, LC_ALL: 'C' };
  await run(
    'swtpm_setup',
    [
      '--tpm2',
      '--tpm-state',
      state,
      '--create-ek-cert',
      '--create-platform-cert',
      '--config',
      join(ca.dir, 'swtpm_setup.conf'),
      '--overwrite',
      '--logfile',
      join(dir, 'setup.log'),
    ],
    { env },
  ).catch(async (err: Error) => {
    const log = await readFile(join(dir, 'setup.log'), 'utf8').catch(() => '');
    await rm(dir, { recursive: true, force: true });
    throw new Error(`swtpm_setup failed: ${err.message}\n${log}`);
  });
  let lastError: unknown;
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await freePortPair();
    const child = spawn(
      'swtpm',
      [
        'socket',
        '--tpm2',
        '--tpmstate',
        `dir=${state}`,
        '--server',
        `type=tcp,port=${port},bindaddr=127.0.0.1`,
        '--ctrl',
        `type=tcp,port=${port + 1},bindaddr=127.0.0.1`,
        '--flags',
        'not-need-init,startup-clear',
      ],
      { env, stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let err = '';
    child.stderr!.on('data', (b: Buffer) => (err += b.toString()));
    try {
      await waitForPort(port, child, () => err);
    } catch (e) {
      lastError = e;
      child.kill('SIGKILL');
      continue; // the port was taken between the check and the bind
    }
    const tcti = `swtpm:host=127.0.0.1,port=${port}`;
    const toolEnv = { ...env, TPM2TOOLS_TCTI: tcti };
    return {
      tcti,
      port,
      dir,
      env: toolEnv,
      async tool(argv: string[]) {
        const [file, ...args] = argv;
        const { stdout } = await run(file!, args, { env: toolEnv, cwd: dir, encoding: 'utf8' });
        return stdout;
      },
      async stop() {
        if (child.exitCode === null) {
          const exited = new Promise((r) => child.once('exit', r));
          child.kill('SIGTERM');
          await exited;
        }
        await rm(dir, { recursive: true, force: true });
      },
    };
  }
  await rm(dir, { recursive: true, force: true });
  throw lastError;
}
