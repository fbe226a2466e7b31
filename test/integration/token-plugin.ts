/**
 * The cryptsetup token plugin for tests: built from native/token/ into a temp folder, and
 * cryptsetup run with that folder as its plugin path: `--external-tokens-path` where this
 * cryptsetup has it (2.7+), else in a private mount namespace where the folder is bind-mounted
 * over the compiled-in path (cryptsetup 2.6 reads plugins only from there).
 */
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { CLI, root } from '../entry.js';

const help = spawnSync('cryptsetup', ['--help'], { encoding: 'utf8' });
const helpText = `${help.stdout ?? ''}`;
/** Where this cryptsetup looks for plugins ("LUKS2 external token plugin path: ..."). */
export const compiledPluginPath = /external token plugin path: (\S+?)\.?$/m.exec(helpText)?.[1];
const hasPathFlag = helpText.includes('--external-tokens-path');

/** Why the plugin cannot be tested here, or undefined. */
export function pluginMissing(): string | undefined {
  if (help.error) return 'cryptsetup is not installed (Debian package cryptsetup-bin)';
  if (!/external token plugin support is compiled-in/i.test(helpText)) return 'this cryptsetup has no external token support';
  if (spawnSync('pkg-config', ['--exists', 'libcryptsetup', 'json-c']).status !== 0)
    return 'libcryptsetup.h is missing (Debian packages libcryptsetup-dev libjson-c-dev)';
  if (!hasPathFlag) {
    if (!compiledPluginPath) return 'cryptsetup does not say where it reads plugins';
    const probe = spawnSync('unshare', ['-m', '--propagation', 'private', 'true']);
    if (probe.status !== 0)
      return 'cryptsetup < 2.7 has no --external-tokens-path and this user cannot make a mount namespace (unshare -m)';
  }
  return undefined;
}

/** Builds the plugin (scripts/build-token-plugin.sh) into `dir`; extra compiler flags allowed. */
export function buildPlugin(dir: string, flags: string[] = []): string {
  const r = spawnSync('bash', [join(root, 'scripts/build-token-plugin.sh'), dir, ...flags], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`building the token plugin failed: ${r.stderr}`);
  return join(dir, 'libcryptsetup-token-sectorcrypt-broker.so');
}

/** The plugin settings that run this checkout's CLI as the agent. */
export function pluginSettings(stateDir: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { stateDir, node: process.execPath, cli: CLI[CLI.length - 1], nodeArgs: CLI.slice(0, -1), timeoutSeconds: 60, ...extra };
}

export interface CsRun {
  status: number;
  stdout: Buffer;
  stderr: string;
}

/**
 * cryptsetup with the plugin folder `pluginDir`, settings from `config`; asynchronous, since
 * the broker answering the agent runs in this process. stdin is `input`, or closed.
 */
export function cryptsetupWithPlugin(
  pluginDir: string,
  config: string,
  args: string[],
  opts: { input?: Uint8Array; env?: Record<string, string> } = {},
): Promise<CsRun> {
  const [cmd, argv] = hasPathFlag
    ? ['cryptsetup', ['--external-tokens-path', pluginDir, ...args]]
    : [
        'unshare',
        [
          '-m',
          '--propagation',
          'private',
          'sh',
          '-c',
          'd=$1; t=$2; shift 2; mount --bind "$d" "$t" && exec cryptsetup "$@"',
          'sh',
          pluginDir,
          compiledPluginPath!,
          ...args,
        ],
      ];
  return new Promise((resolve) => {
    // The sanitizer run (scripts/test-token-plugin-asan.sh) preloads libasan into cryptsetup only.
    const preload = process.env.SECTORCRYPT_TOKEN_PLUGIN_PRELOAD ? { LD_PRELOAD: process.env.SECTORCRYPT_TOKEN_PLUGIN_PRELOAD } : {};
    const child = spawn(cmd, argv, {
      env: { ...process.env, SECTORCRYPT_AGENT_CONFIG: config, ...preload, ...opts.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    child.on('close', (code) => resolve({ status: code ?? -1, stdout: Buffer.concat(out), stderr: Buffer.concat(err).toString('utf8') }));
    child.stdin.end(opts.input ? Buffer.from(opts.input) : undefined);
  });
}
