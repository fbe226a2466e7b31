/**
 * Volume throughput:
 *   node --import tsx bench/volume.ts [--mib 256] [--dir /dev/shm] [--rounds 5] [--random-ops 20000]
 *
 * Sequential 1 MiB writes and then reads over a --mib MiB LUKS2 volume on tmpfs, one
 * request at a time (each awaited before the next, as a simple caller does), against the
 * same requests on the image file alone with no crypto (the reference), and the raw
 * XtsCipher's async calls on the same 1 MiB batches. Random 4 KiB reads and writes
 * (--random-ops of each, one at a time, the same offsets for the volume and the file)
 * give IOPS. Each round runs every case once, in turn; the figures are medians over the
 * rounds and each ratio is the median of the rounds' own ratios, so that a busy machine
 * moves both sides of a ratio alike.
 */
import { randomBytes } from 'node:crypto';
import { read as fsRead, rmSync, write as fsWrite } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { availableParallelism, loadavg } from 'node:os';
import { backendInfo, Volume, XtsCipher } from '../src/index.js';
import { arg, median } from './options.js';

const MiB = 1024 * 1024;
const total = Number(arg('mib', '256')) * MiB;
const dir = arg('dir', '/dev/shm');
const rounds = Number(arg('rounds', '5'));

const ops = Number(arg('random-ops', '20000'));
const spots = Array.from({ length: ops }, () => Math.floor(Math.random() * (total / 4096)) * 4096);

const image = join(dir, `sectorcrypt-bench-${process.pid}.img`);
const chunk = new Uint8Array(randomBytes(MiB));

/** MB/s of one sequential pass over the volume's size. */
async function pass(fn: (at: number) => Promise<unknown>): Promise<number> {
  const t = process.hrtime.bigint();
  for (let at = 0; at < total; at += MiB) await fn(at);
  return total / (Number(process.hrtime.bigint() - t) / 1e9) / 1e6;
}

/** Requests per second at the random 4 KiB-aligned offsets. */
async function randomPass(fn: (at: number) => Promise<unknown>): Promise<number> {
  const t = process.hrtime.bigint();
  for (const at of spots) await fn(at);
  return ops / (Number(process.hrtime.bigint() - t) / 1e9);
}

try {
  const vol = await Volume.create(image, {
    size: total,
    passphrase: 'bench',
    pbkdf: { type: 'pbkdf2', iterations: 1000 },
    digestIterations: 1000,
  });
  // The file alone, same requests, no crypto, on a second descriptor of the same image
  // (16 MiB in, past the LUKS2 header, where the volume's data starts).
  const fh = await open(image, 'r+');
  const into = new Uint8Array(MiB);
  const small = new Uint8Array(randomBytes(4096));
  const fileOp = (writing: boolean, at: number, length: number) =>
    new Promise<void>((resolve, reject) => {
      const done = (err: Error | null) => (err ? reject(err) : resolve());
      if (writing) fsWrite(fh.fd, length === MiB ? chunk : small, 0, length, 16 * MiB + at, done);
      else fsRead(fh.fd, into, 0, length, 16 * MiB + at, done);
    });
  // The volume's cipher: 4096-byte sectors, IVs in 512-byte units (LUKS2's plain64).
  const cipher = new XtsCipher(new Uint8Array(randomBytes(64)), { sectorSize: 4096, ivSectorSize: 512 });
  const buf = new Uint8Array(MiB);

  // Each round runs every case once, so each ratio compares neighbouring measurements.
  const names = [
    'file write only (no crypto)',
    'volume write',
    'file read only (no crypto)',
    'volume read',
    'volume read into a reused buffer',
    'raw XtsCipher encryptSectorsAsync',
    'raw XtsCipher decryptSectorsAsync',
    'file random 4 KiB write',
    'volume random 4 KiB write',
    'file random 4 KiB read',
    'volume random 4 KiB read',
  ] as const;
  const runs: Record<(typeof names)[number], () => Promise<number>> = {
    'file write only (no crypto)': () => pass((at) => fileOp(true, at, MiB)),
    'volume write': () => pass((at) => vol.write(at, chunk)),
    'file read only (no crypto)': () => pass((at) => fileOp(false, at, MiB)),
    'volume read': () => pass((at) => vol.read(at, MiB)),
    'volume read into a reused buffer': () => pass((at) => vol.read(at, MiB, into)),
    'raw XtsCipher encryptSectorsAsync': () => pass((at) => cipher.encryptSectorsAsync(chunk, at / 4096, buf)),
    'raw XtsCipher decryptSectorsAsync': () => pass((at) => cipher.decryptSectorsAsync(chunk, at / 4096, buf)),
    'file random 4 KiB write': () => randomPass((at) => fileOp(true, at, 4096)),
    'volume random 4 KiB write': () => randomPass((at) => vol.write(at, small)),
    'file random 4 KiB read': () => randomPass((at) => fileOp(false, at, 4096)),
    'volume random 4 KiB read': () => randomPass((at) => vol.read(at, 4096)),
  };
  const results = new Map<string, number[]>(names.map((n) => [n, []]));
  for (let r = 0; r < rounds; r++) {
    for (const name of names) results.get(name)!.push(await runs[name]());
  }
  await vol.close();
  await fh.close();
  cipher.destroy();

  const med = (name: string) => median(results.get(name)!);
  const ratio = (name: string, ref: string) => {
    const ours = results.get(name)!;
    const theirs = results.get(ref)!;
    const each = ours.map((v, i) => v / theirs[i]);
    return `${(median(each) * 100).toFixed(0).padStart(4)}% of ${ref} (rounds: ${each.map((x) => (x * 100).toFixed(0)).join(' ')})`;
  };
  const info = backendInfo();
  console.log(
    `backend ${info.backend} (${info.kernel}), ${total / MiB} MiB on ${dir}, 1 MiB requests, AES-256-XTS, 4096-byte sectors; ` +
      `${availableParallelism()} CPUs, load average ${loadavg()[0].toFixed(2)}; medians of ${rounds} rounds, cases in turn`,
  );
  for (const name of names.slice(0, 7)) console.log(`${name.padEnd(34)} ${med(name).toFixed(0).padStart(7)} MB/s`);
  console.log(`volume write                       ${ratio('volume write', 'file write only (no crypto)')}`);
  console.log(`volume read                        ${ratio('volume read', 'file read only (no crypto)')}`);
  console.log(`volume read into                   ${ratio('volume read into a reused buffer', 'file read only (no crypto)')}`);
  for (const [v, f] of [
    ['volume random 4 KiB write', 'file random 4 KiB write'],
    ['volume random 4 KiB read', 'file random 4 KiB read'],
  ]) {
    console.log(`${v.padEnd(34)} ${med(v).toFixed(0).padStart(7)} IOPS  file ${med(f).toFixed(0).padStart(7)} IOPS  ${ratio(v, f)}`);
  }
} finally {
  rmSync(image, { force: true });
}
