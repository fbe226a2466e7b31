/**
 * `sectorcrypt volume install-token-plugin [--dir D]`: builds the cryptsetup token plugin
 * (native/token/, scripts/build-token-plugin.sh: the system compiler with libcryptsetup-dev)
 * and installs it, mode 0644, as D/libcryptsetup-token-sectorcrypt-broker.so and
 * D/libcryptsetup-token-sectorcrypt-threshold.so (the same code for sectorcrypt-threshold tokens). D defaults to
 * the folder this cryptsetup reads plugins from (`cryptsetup --help` names it).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, copyFile, mkdtemp, rename, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { SectorCryptError } from '../errors.js';

export const PLUGIN_FILE = 'libcryptsetup-token-sectorcrypt-broker.so';
/** The plugin for sectorcrypt-threshold tokens (docs/volumes.md "Threshold binding"). */
export const THRESHOLD_PLUGIN_FILE = 'libcryptsetup-token-sectorcrypt-threshold.so';
const DEBIAN_DEFAULT = '/usr/lib/x86_64-linux-gnu/cryptsetup';

/** The package folder: the first parent of this file that holds native/token/ (src/cli, dist/cli or a test build). */
function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, 'native', 'token', 'plugin.c'))) return dir;
    dir = dirname(dir);
  }
  throw new SectorCryptError('ERR_NOT_FOUND', 'the token plugin sources (native/token/) are not in this installation');
}

/** "LUKS2 external token plugin path: /lib/x86_64-linux-gnu/cryptsetup." in cryptsetup --help. */
export function cryptsetupPluginDir(): string {
  const help = spawnSync('cryptsetup', ['--help'], { encoding: 'utf8' });
  return /external token plugin path: (\S+?)\.?$/m.exec(help.stdout ?? '')?.[1] ?? DEBIAN_DEFAULT;
}

export function registerTokenPlugin(volume: Command): void {
  volume
    .command('install-token-plugin')
    .description(`build and install the cryptsetup token plugin (${PLUGIN_FILE}) so cryptsetup opens bound volumes itself`)
    .option('--dir <dir>', `install here (default: the folder cryptsetup reads plugins from, ${DEBIAN_DEFAULT} on Debian)`)
    .action(async (f: { dir?: string }) => {
      const dir = f.dir ?? cryptsetupPluginDir();
      const root = packageRoot();
      const work = await mkdtemp(join(tmpdir(), 'sectorcrypt-token-'));
      try {
        try {
          execFileSync('bash', [join(root, 'scripts', 'build-token-plugin.sh'), work], { stdio: ['ignore', 'ignore', 'pipe'] });
        } catch (err) {
          const why = String((err as { stderr?: Buffer }).stderr ?? '').trim();
          throw new SectorCryptError('ERR_UNSUPPORTED', `cannot build the token plugin: ${why || (err as Error).message}`);
        }
        for (const name of [PLUGIN_FILE, THRESHOLD_PLUGIN_FILE]) {
          // Copied beside the target, then renamed: cryptsetup never loads a half-written file.
          const target = join(dir, name);
          const tmp = `${target}.${process.pid}.tmp`;
          await copyFile(join(work, name), tmp);
          await chmod(tmp, 0o644);
          await rename(tmp, target);
          process.stdout.write(`installed ${target}\n`);
        }
      } finally {
        await rm(work, { recursive: true, force: true });
      }
    });
}
