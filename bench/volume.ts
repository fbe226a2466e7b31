/**
 * Volume throughput:
 *   node --import tsx bench/volume.ts [--mib 256] [--dir /dev/shm] [--rounds 3] [--random-ops 20000]
 *
 * Sequential 1 MiB writes and then reads over a --mib MiB LUKS2 volume on tmpfs, one
 * request at a time (each awaited before the next, as a simple caller does), against the
 * raw XtsCipher on the same 1 MiB batches: encryptSectorsAsync / decryptSectorsAsync
 * awaited one after the other (what the volume calls), and the sync calls on one core.
 * Best of --rounds. The ratio is volume MB/s over raw async MB/s. The file alone (the same
 * 1 MiB reads and writes with no crypto) shows what the copies to and from tmpfs cost.
 * Random 4 KiB reads and writes (--random-ops of each, one at a time, the same offsets
 * for the volume and the file alone) give IOPS.
 */
import { randomBytes } from 'node:crypto';
import { read as fsRead, rmSync, write as fsWrite } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { backendInfo, Volume, XtsCipher } from '../src/index.js';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback;
}

const MiB = 1024 * 1024;
const total = Number(arg('mib', '256')) * MiB;
const dir = arg('dir', '/dev/shm');
const rounds = Number(arg('rounds', '3'));

const ops = Number(arg('random-ops', '20000'));
const spots = Array.from({ length: ops }, () => Math.floor(Math.random() * (total / 4096)) * 4096);

/** Requests per second of `fn` at random 4 KiB-aligned offsets, best of --rounds. */
async function bestOps(fn: (at: number) => Promise<unknown>): Promise<number> {
  let fastest = Infinity;
  for (let r = 0; r < rounds; r++) {
    const t = process.hrtime.bigint();
    for (const at of spots) await fn(at);
    fastest = Math.min(fastest, Number(process.hrtime.bigint() - t) / 1e9);
  }
  return ops / fastest;
}

async function best(fn: () => Promise<void>): Promise<number> {
  let fastest = Infinity;
  for (let r = 0; r < rounds; r++) {
    const t = process.hrtime.bigint();
    await fn();
    fastest = Math.min(fastest, Number(process.hrtime.bigint() - t) / 1e9);
  }
  return total / fastest / 1e6;
}

const image = join(dir, `sectorcrypt-bench-${process.pid}.img`);
const chunk = new Uint8Array(randomBytes(MiB));
try {
  const vol = await Volume.create(image, {
    size: total,
    passphrase: 'bench',
    pbkdf: { type: 'pbkdf2', iterations: 1000 },
    digestIterations: 1000,
  });
  const write = await best(async () => {
    for (let at = 0; at < total; at += MiB) await vol.write(at, chunk);
  });
  const read = await best(async () => {
    for (let at = 0; at < total; at += MiB) await vol.read(at, MiB);
  });
  const into = new Uint8Array(MiB);
  const readInto = await best(async () => {
    for (let at = 0; at < total; at += MiB) await vol.read(at, MiB, into);
  });
  // Random 4 KiB requests, one at a time: IOPS against the same requests on the file alone.
  const small = new Uint8Array(randomBytes(4096));
  const randWrite = await bestOps((at) => vol.write(at, small));
  const randRead = await bestOps((at) => vol.read(at, 4096));
  await vol.close();

  // The file alone, same requests, no crypto: what tmpfs copying costs here.
  const fh = await open(image, 'r+');
  const fileOp = (writing: boolean, at: number) =>
    new Promise<void>((resolve, reject) => {
      const done = (err: Error | null) => (err ? reject(err) : resolve());
      if (writing) fsWrite(fh.fd, into, 0, MiB, 16 * MiB + at, done);
      else fsRead(fh.fd, into, 0, MiB, 16 * MiB + at, done);
    });
  const fileWrite = await best(async () => {
    for (let at = 0; at < total; at += MiB) await fileOp(true, at);
  });
  const fileRead = await best(async () => {
    for (let at = 0; at < total; at += MiB) await fileOp(false, at);
  });
  const fileOp4k = (writing: boolean, at: number) =>
    new Promise<void>((resolve, reject) => {
      const done = (err: Error | null) => (err ? reject(err) : resolve());
      if (writing) fsWrite(fh.fd, small, 0, 4096, 16 * MiB + at, done);
      else fsRead(fh.fd, into, 0, 4096, 16 * MiB + at, done);
    });
  const fileRandWrite = await bestOps((at) => fileOp4k(true, at));
  const fileRandRead = await bestOps((at) => fileOp4k(false, at));
  await fh.close();

  // The volume's cipher: 4096-byte sectors, IVs in 512-byte units (LUKS2's plain64).
  const cipher = new XtsCipher(new Uint8Array(randomBytes(64)), { sectorSize: 4096, ivSectorSize: 512 });
  const buf = new Uint8Array(MiB);
  const rawEnc = await best(async () => {
    for (let at = 0; at < total; at += MiB) await cipher.encryptSectorsAsync(chunk, at / 4096, buf);
  });
  const rawDec = await best(async () => {
    for (let at = 0; at < total; at += MiB) await cipher.decryptSectorsAsync(chunk, at / 4096, buf);
  });
  const syncDec = await best(async () => {
    for (let at = 0; at < total; at += MiB) cipher.decryptSectors(chunk, at / 4096, buf);
  });
  cipher.destroy();

  const info = backendInfo();
  const row = (name: string, mbs: number, ref?: number) =>
    `${name.padEnd(34)} ${mbs.toFixed(0).padStart(7)} MB/s${ref ? `  ${((mbs / ref) * 100).toFixed(0).padStart(4)}% of raw async` : ''}`;
  console.log(`backend ${info.backend} (${info.kernel}), ${total / MiB} MiB on ${dir}, 1 MiB requests, AES-256-XTS, 4096-byte sectors, best of ${rounds}`);
  console.log(row('raw XtsCipher encryptSectorsAsync', rawEnc));
  console.log(row('raw XtsCipher decryptSectorsAsync', rawDec));
  console.log(row('raw XtsCipher decryptSectors (sync)', syncDec));
  console.log(row('file write only (no crypto)', fileWrite, rawEnc));
  console.log(row('file read only (no crypto)', fileRead, rawDec));
  console.log(row('volume write', write, rawEnc));
  console.log(row('volume read', read, rawDec));
  console.log(row('volume read into a reused buffer', readInto, rawDec));
  const ratio = (name: string, mbs: number, file: number) => console.log(`${name.padEnd(34)} ${((mbs / file) * 100).toFixed(0).padStart(4)}% of the file alone`);
  ratio('volume write / file write', write, fileWrite);
  ratio('volume read / file read', read, fileRead);
  ratio('volume read into / file read', readInto, fileRead);
  const iopsRow = (name: string, v: number, f: number) =>
    console.log(`${name.padEnd(34)} ${v.toFixed(0).padStart(7)} IOPS  file alone ${f.toFixed(0).padStart(7)} IOPS  ${((v / f) * 100).toFixed(0).padStart(4)}%`);
  iopsRow('random 4 KiB write', randWrite, fileRandWrite);
  iopsRow('random 4 KiB read', randRead, fileRandRead);
} finally {
  rmSync(image, { force: true });
}
