/**
 * Unlocking a LUKS2 volume made by cryptsetup with its default KDF settings:
 *   node --import tsx bench/unlock.ts [--memory 1048576] [--parallel 4] [--time 4] [--rounds 2] [--dir /dev/shm]
 *
 * Formats a small image with `cryptsetup luksFormat --pbkdf argon2id` at cryptsetup's
 * default memory and lanes, time cost 4 forced (its benchmark, under load, lowers the
 * memory instead, and the figures would not be comparable between runs), then times,
 * best of --rounds, each in its own process: `cryptsetup open --test-passphrase`, and
 * `sectorcrypt volume open-check` with the native argon2 and with the WebAssembly fallback
 * (SECTORCRYPT_ARGON2=wasm). Peak RSS is the child's. Needs cryptsetup on PATH; prints why not otherwise.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const cli = path.join(here, '..', 'dist', 'cli', 'main.js');

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback;
}

const memory = arg('memory', '1048576');
const parallel = arg('parallel', '4');
const time = arg('time', '4');
const rounds = Number(arg('rounds', '2'));
const dir = arg('dir', '/dev/shm');

/** Wall seconds and peak RSS (MiB) of a command, from GNU time's format when present. */
function timed(command: string[], env: NodeJS.ProcessEnv = process.env): { seconds: number; rssMiB: number } {
  const t0 = performance.now();
  const r = spawnSync('/usr/bin/time', ['-f', '%M', ...command], { env, encoding: 'utf8' });
  const seconds = (performance.now() - t0) / 1000;
  if (r.status !== 0) throw new Error(`${command.join(' ')} failed: ${r.stderr}`);
  const rssKib = Number(r.stderr.trim().split('\n').pop());
  return { seconds, rssMiB: rssKib / 1024 };
}

function best(command: string[], env?: NodeJS.ProcessEnv): { seconds: number; rssMiB: number } {
  let result = { seconds: Infinity, rssMiB: 0 };
  for (let i = 0; i < rounds; i++) {
    const r = timed(command, env);
    result = { seconds: Math.min(result.seconds, r.seconds), rssMiB: Math.max(result.rssMiB, r.rssMiB) };
  }
  return result;
}

try {
  execFileSync('cryptsetup', ['--version'], { stdio: 'ignore' });
  execFileSync('/usr/bin/time', ['true'], { stdio: 'ignore' });
} catch {
  console.log('skipped: needs cryptsetup and /usr/bin/time on PATH');
  process.exit(0);
}

const image = path.join(dir, `sectorcrypt-unlock-${process.pid}.img`);
const passFile = `${image}.pass`;
try {
  writeFileSync(image, Buffer.alloc(32 * 1024 * 1024));
  writeFileSync(passFile, 'bench passphrase', { mode: 0o600 });
  execFileSync('cryptsetup', [
    'luksFormat',
    '--batch-mode',
    '--type',
    'luks2',
    '--pbkdf',
    'argon2id',
    '--pbkdf-memory',
    memory,
    '--pbkdf-parallel',
    parallel,
    '--pbkdf-force-iterations',
    time,
    '--key-file',
    passFile,
    image,
  ]);
  const dump = execFileSync('cryptsetup', ['luksDump', image], { encoding: 'utf8' });
  const kib = /Memory:\s*(\d+)/.exec(dump)?.[1];
  console.log(
    `node ${process.version}, ${availableParallelism()} CPUs, load average ${loadavg()[0].toFixed(2)}; argon2id, ${Number(kib) / 1024} MiB, ${parallel} lanes, time cost ${time}; best of ${rounds}`,
  );
  const reference = best(['cryptsetup', 'open', '--test-passphrase', '--key-file', passFile, image]);
  const ours = best([process.execPath, cli, 'volume', 'open-check', '--passphrase-file', passFile, image]);
  const wasm = best([process.execPath, cli, 'volume', 'open-check', '--passphrase-file', passFile, image], {
    ...process.env,
    SECTORCRYPT_ARGON2: 'wasm',
  });
  const row = (name: string, r: { seconds: number; rssMiB: number }) =>
    console.log(
      `${name.padEnd(44)} ${r.seconds.toFixed(2).padStart(6)} s  ${(r.seconds / reference.seconds).toFixed(2)}x  peak RSS ${r.rssMiB.toFixed(0)} MiB`,
    );
  row('cryptsetup open --test-passphrase', reference);
  row('sectorcrypt volume open-check (native argon2)', ours);
  row('sectorcrypt volume open-check (WebAssembly)', wasm);
  console.log(`load average ${loadavg()[0].toFixed(2)} at the end`);
} finally {
  rmSync(image, { force: true });
  rmSync(passFile, { force: true });
}
