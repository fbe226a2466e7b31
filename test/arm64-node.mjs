// The arm64 addon through the public API, run by an arm64 Node under qemu
// (scripts/test-arm64.sh): the backend must be native with the armv8-ce kernel, every case
// of test/arm64-cases.ts must come out right, and random inputs must agree with this Node's
// own node:crypto (OpenSSL's arm64 code).
//   node test/arm64-node.mjs PACKAGE_DIR CASES_FILE
import { createCipheriv, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const [pkg, casesFile] = process.argv.slice(2);
if (!pkg || !casesFile) throw new Error('usage: arm64-node.mjs PACKAGE_DIR CASES_FILE');
const { AesGcm, XtsCipher, backendInfo } = await import(pathToFileURL(path.join(pkg, 'dist/index.js')).href);

let checked = 0;
const failures = [];
function check(ok, what) {
  checked++;
  if (!ok && failures.length < 20) failures.push(what);
  if (!ok) failures.total = (failures.total ?? 0) + 1;
}
const hex = (s) => (s === '-' ? new Uint8Array(0) : new Uint8Array(Buffer.from(s, 'hex')));
const eq = (a, b) =>
  Buffer.compare(Buffer.from(a.buffer, a.byteOffset, a.byteLength), Buffer.from(b.buffer, b.byteOffset, b.byteLength)) === 0;
const code = (fn) => {
  try {
    fn();
    return 'ok';
  } catch (err) {
    return err.code ?? String(err);
  }
};

const info = backendInfo();
console.log(
  `${process.arch} Node ${process.version}: backend ${info.backend}, kernel ${info.kernel}, cpu ${Object.keys(info.cpu)
    .filter((k) => info.cpu[k])
    .join(' ')}`,
);
if (process.arch !== 'arm64' || info.backend !== 'native' || info.kernel !== 'armv8-ce' || !info.cpu.aes || !info.cpu.pmull) {
  console.error(`expected the native backend with kernel armv8-ce on arm64${info.reason ? `; reason: ${info.reason}` : ''}`);
  process.exit(1);
}

// --- The cases: known answers and x86 kernel outputs.
const opts = { backend: 'native', kernel: 'armv8-ce' };
const pending = [];
const lines = readFileSync(casesFile, 'latin1').split('\n');
for (const [i, line] of lines.entries()) {
  if (line === '') continue;
  const f = line.split(' ');
  const what = `line ${i + 1}: ${line.slice(0, 100)}`;
  switch (f[0]) {
    case 'xts-unit': {
      const [key, tweak, pt, ct] = f.slice(1).map(hex);
      const xts = new XtsCipher(key, opts);
      check(eq(xts.encrypt(tweak, pt), ct) && eq(xts.decrypt(tweak, ct), pt), what);
      xts.destroy();
      break;
    }
    case 'xts-sectors': {
      const [key, pt, ct] = [f[1], f[5], f[6]].map(hex);
      const sectorSize = Number(f[2]);
      const xts = new XtsCipher(key, { ...opts, sectorSize, ivSectorSize: sectorSize / Number(f[3]) });
      const first = BigInt(f[4]);
      check(eq(xts.encryptSectors(pt, first), ct) && eq(xts.decryptSectors(ct, first), pt), what);
      // Big batches also through the thread pool (sliced per core).
      if (pt.length >= 64 * 1024) {
        pending.push(
          Promise.all([xts.encryptSectorsAsync(pt, first), xts.decryptSectorsAsync(ct, first)]).then(([c, p]) =>
            check(eq(c, ct) && eq(p, pt), `${what} (async)`),
          ),
        );
      }
      break;
    }
    case 'gcm': {
      const [key, nonce, aad, pt, sealed] = f.slice(1).map(hex);
      const gcm = new AesGcm(key, opts);
      check(eq(gcm.seal(nonce, pt, aad), sealed) && eq(gcm.open(nonce, sealed, aad), pt), what);
      gcm.destroy();
      break;
    }
    case 'gcm-fail': {
      const [key, nonce, aad, sealed] = f.slice(1).map(hex);
      const gcm = new AesGcm(key, opts);
      check(code(() => gcm.open(nonce, sealed, aad)) === 'ERR_AUTH', what);
      gcm.destroy();
      break;
    }
    case 'gcm-chunks': {
      const [key, base, pt, sealed] = [f[1], f[2], f[5], f[6]].map(hex);
      const chunkSize = Number(f[3]);
      const first = Number(f[4]);
      const gcm = new AesGcm(key, opts);
      check(eq(gcm.sealChunks(base, pt, chunkSize, first), sealed) && eq(gcm.openChunks(base, sealed, chunkSize, first), pt), what);
      pending.push(gcm.openChunksAsync(base, sealed, chunkSize, first).then((p) => check(eq(p, pt), `${what} (async)`)));
      break;
    }
    default:
      throw new Error(`line ${i + 1}: unknown case ${f[0]}`);
  }
}
await Promise.all(pending);
const fromCases = checked;

// --- node:crypto on this arm64 Node: random lengths, keys and tweaks.
const rnd = (n) => new Uint8Array(randomBytes(n));
const rndInt = (n) => randomBytes(4).readUInt32LE() % n;
function nodeXts(key, tweak, pt) {
  const c = createCipheriv(key.length === 32 ? 'aes-128-xts' : 'aes-256-xts', key, tweak);
  return new Uint8Array(Buffer.concat([c.update(pt), c.final()]));
}
for (let i = 0; i < 400; i++) {
  const key = rnd(i % 2 ? 64 : 32);
  const tweak = rnd(16);
  const pt = rnd(16 + rndInt(i < 300 ? 300 : 70000));
  check(eq(new XtsCipher(key, opts).encrypt(tweak, pt), nodeXts(key, tweak, pt)), `node:crypto xts ${key.length} ${pt.length}`);
}
for (const sectorSize of [512, 4096]) {
  const key = rnd(64);
  const first = BigInt(rndInt(1 << 30));
  const pt = rnd(sectorSize * 19);
  const ours = new XtsCipher(key, { ...opts, sectorSize }).encryptSectors(pt, first);
  let ok = true;
  for (let s = 0; s < 19; s++) {
    const tweak = Buffer.alloc(16);
    tweak.writeBigUInt64LE(first + BigInt(s));
    ok &&= eq(ours.subarray(s * sectorSize, (s + 1) * sectorSize), nodeXts(key, tweak, pt.subarray(s * sectorSize, (s + 1) * sectorSize)));
  }
  check(ok, `node:crypto xts sectors ${sectorSize}`);
}
for (let i = 0; i < 400; i++) {
  const key = rnd([16, 24, 32][i % 3]);
  const nonce = rnd(12);
  const aad = rnd(rndInt(70));
  const pt = rnd(i < 300 ? rndInt(400) : rndInt(70000));
  const c = createCipheriv(`aes-${key.length * 8}-gcm`, key, nonce);
  c.setAAD(aad);
  const ref = Buffer.concat([c.update(pt), c.final(), c.getAuthTag()]);
  check(eq(new AesGcm(key, opts).seal(nonce, pt, aad), ref), `node:crypto gcm ${key.length} ${pt.length}`);
}

console.log(
  `armv8-ce through the public API: ${fromCases} cases and ${checked - fromCases} node:crypto comparisons, ${failures.total ?? 0} failed`,
);
for (const f of failures) console.error(`FAIL ${f}`);
process.exit(failures.length === 0 && fromCases > 0 ? 0 : 1);
