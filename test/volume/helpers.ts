/** Shared by the volume tests: scratch files on tmpfs, cheap KDFs, cryptsetup, a node:crypto reference. */
import { execFileSync, spawnSync } from 'node:child_process';
import { createDecipheriv, createCipheriv } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Tiny KDF costs: tests measure behaviour, not resistance to guessing. */
export const CHEAP = { type: 'argon2id', time: 4, memory: 32, parallel: 1 } as const;
export const CHEAP_PBKDF2 = { type: 'pbkdf2', iterations: 1000 } as const;
export const CHEAP_CREATE = { pbkdf: CHEAP, digestIterations: 1000 } as const;
export const MiB = 1024 * 1024;
export const DATA_OFFSET = 16 * MiB;

export function scratchDir(): { dir: string; path(name: string): string; cleanup(): void } {
  const base = existsSync('/dev/shm') ? '/dev/shm' : tmpdir();
  const dir = mkdtempSync(join(base, 'sectorcrypt-vol-'));
  return { dir, path: (name) => join(dir, name), cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Why cryptsetup cannot run here, or undefined when it can. */
export function cryptsetupMissing(): string | undefined {
  const r = spawnSync('cryptsetup', ['--version'], { encoding: 'utf8' });
  if (r.error) return `cryptsetup is not installed (${(r.error as NodeJS.ErrnoException).code}); install the Debian package cryptsetup-bin`;
  if (r.status !== 0) return `cryptsetup --version failed: ${r.stderr.trim()}`;
  return undefined;
}

/** Runs cryptsetup with the passphrase in a key file (never argv); returns its exit status and output. */
export function cryptsetup(args: string[], passphrase?: string, dir?: string): { status: number; out: string } {
  const full = [...args];
  if (passphrase !== undefined) {
    const keyFile = join(dir ?? tmpdir(), `key-${process.pid}-${Math.random().toString(36).slice(2)}`);
    writeFileSync(keyFile, passphrase, { mode: 0o600 });
    full.push('--key-file', keyFile);
    try {
      return run(full);
    } finally {
      rmSync(keyFile, { force: true });
    }
  }
  return run(full);
}

function run(args: string[]): { status: number; out: string } {
  const r = spawnSync('cryptsetup', ['--batch-mode', ...args], { encoding: 'utf8' });
  return { status: r.status ?? -1, out: `${r.stdout}${r.stderr}` };
}

/** The volume key, read back by cryptsetup itself. */
export function dumpVolumeKey(image: string, passphrase: string, dir: string): Uint8Array {
  const out = join(dir, `vk-${Math.random().toString(36).slice(2)}`);
  const r = cryptsetup(['luksDump', '--dump-volume-key', '--volume-key-file', out, image], passphrase, dir);
  if (r.status !== 0) throw new Error(`cryptsetup luksDump --dump-volume-key failed: ${r.out}`);
  const key = new Uint8Array(readFileSync(out));
  rmSync(out, { force: true });
  return key;
}

export function luksFormat(image: string, passphrase: string, dir: string, extra: string[] = []): void {
  execFileSync('truncate', ['-s', String(DATA_OFFSET + 2 * MiB), image]);
  const r = cryptsetup(['luksFormat', '--type', 'luks2', ...extra, image], passphrase, dir);
  if (r.status !== 0) throw new Error(`cryptsetup luksFormat failed: ${r.out}`);
}

export const CS_CHEAP_ARGON = ['--pbkdf', 'argon2id', '--pbkdf-memory', '32', '--pbkdf-force-iterations', '4', '--pbkdf-parallel', '1'];
export const CS_CHEAP_PBKDF2 = ['--pbkdf', 'pbkdf2', '--pbkdf-force-iterations', '1000'];

/**
 * dm-crypt's aes-xts-plain64 on one sector with node:crypto (not our code): the IV is the
 * sector number as 64-bit little-endian, in 512-byte units unless ivLarge.
 */
function ivFor(index: number, sectorSize: number, ivLarge: boolean): Buffer {
  const iv = Buffer.alloc(16);
  iv.writeBigUInt64LE(BigInt(ivLarge ? index : index * (sectorSize / 512)));
  return iv;
}

export function referenceDecrypt(key: Uint8Array, data: Uint8Array, sectorSize: number, ivLarge: boolean, firstSector = 0): Uint8Array {
  return referenceXts('decrypt', key, data, sectorSize, ivLarge, firstSector);
}

export function referenceEncrypt(key: Uint8Array, data: Uint8Array, sectorSize: number, ivLarge: boolean, firstSector = 0): Uint8Array {
  return referenceXts('encrypt', key, data, sectorSize, ivLarge, firstSector);
}

function referenceXts(
  dir: 'encrypt' | 'decrypt',
  key: Uint8Array,
  data: Uint8Array,
  sectorSize: number,
  ivLarge: boolean,
  firstSector: number,
): Uint8Array {
  const algo = `aes-${key.length * 4}-xts`;
  const out = new Uint8Array(data.length);
  for (let at = 0; at < data.length; at += sectorSize) {
    const iv = ivFor(firstSector + at / sectorSize, sectorSize, ivLarge);
    const c = dir === 'encrypt' ? createCipheriv(algo, key, iv) : createDecipheriv(algo, key, iv);
    out.set(Buffer.concat([c.update(data.subarray(at, at + sectorSize)), c.final()]), at);
  }
  return out;
}

/** Asserts a promise rejects with a SectorCryptError of this code. */
export async function rejectsWith(p: Promise<unknown>, code: string): Promise<Error> {
  try {
    await p;
  } catch (err) {
    if ((err as { code?: string }).code !== code) throw new Error(`expected ${code}, got ${(err as Error).message}`);
    return err as Error;
  }
  throw new Error(`expected ${code}, but it resolved`);
}

/** Byte equality that stays fast on large arrays (toEqual walks them element by element). */
export function expectSameBytes(actual: Uint8Array, expected: Uint8Array, note = ''): void {
  const a = Buffer.from(actual.buffer, actual.byteOffset, actual.byteLength);
  const b = Buffer.from(expected.buffer, expected.byteOffset, expected.byteLength);
  if (a.equals(b)) return;
  let i = 0;
  while (i < Math.min(a.length, b.length) && a[i] === b[i]) i++;
  throw new Error(`bytes differ at ${i} (lengths ${a.length} and ${b.length}) ${note}`);
}
