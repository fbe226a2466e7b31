/**
 * Envelope stream vs Cobblestone stream throughput, and the argon2id default cost's time:
 *   node --import tsx bench/envelope.ts [--mib 256] [--rounds 3]
 *
 * Both streams get the same plaintext in 1 MiB pieces and write into a sink; the envelope
 * has one X25519 recipient. Decryption runs on ciphertext made beforehand. Each figure is the
 * best of --rounds. One process, sources through tsx; the envelope's header is written or read
 * once, so the two should match within noise.
 */
import { randomBytes } from 'node:crypto';
import { availableParallelism, loadavg } from 'node:os';
import { Readable, Writable, type Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  backendInfo,
  createChunkedDecryptStream,
  createChunkedEncryptStream,
  createEnvelopeDecryptStream,
  createEnvelopeEncryptStream,
  decryptEnvelope,
  encryptEnvelope,
  generateIdentity,
  DEFAULT_ARGON2ID,
} from '../src/index.js';

const MIB = 1024 ** 2;
function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}
const mib = arg('mib', 256);
const rounds = arg('rounds', 3);

const piece = new Uint8Array(randomBytes(MIB));
function source(total: number): Readable {
  let sent = 0;
  return new Readable({
    read() {
      this.push(sent < total ? piece : null);
      sent += MIB;
    },
  });
}

/** Seconds for one run of `input()` through `make()` into a sink. */
async function once(make: () => Transform, input: () => Readable): Promise<number> {
  const sink = new Writable({ write: (_c, _e, cb) => cb() });
  const start = process.hrtime.bigint();
  await pipeline(input(), make(), sink);
  return Number(process.hrtime.bigint() - start) / 1e9;
}

/** MB/s (10^6 bytes of plaintext) per case, best of `rounds`; the cases take turns in each round, so load spikes hit all. */
async function rates(cases: Record<string, [() => Transform, () => Readable]>, plainBytes: number): Promise<Record<string, number>> {
  const best: Record<string, number> = {};
  for (let r = 0; r < rounds; r++) {
    for (const [name, [make, input]] of Object.entries(cases)) {
      best[name] = Math.max(best[name] ?? 0, Math.round(plainBytes / (await once(make, input)) / 1e6));
    }
  }
  return best;
}

async function collect(stream: Transform, total: number): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  await pipeline(source(total), stream, new Writable({ write: (c, _e, cb) => (parts.push(c), cb()) }));
  return new Uint8Array(Buffer.concat(parts));
}

const key = new Uint8Array(randomBytes(32));
const id = await generateIdentity('x25519');
const total = mib * MIB;
const cobbleCt = await collect(createChunkedEncryptStream(key), total);
const envelopeCt = await collect(createEnvelopeEncryptStream({ recipients: [id.publicKey] }), total);
const from = (bytes: Uint8Array) => () =>
  Readable.from(
    (function* () {
      for (let i = 0; i < bytes.length; i += MIB) yield bytes.subarray(i, i + MIB);
    })(),
  );

const results = await rates(
  {
    cobblestoneEncrypt: [() => createChunkedEncryptStream(key), () => source(total)],
    envelopeEncrypt: [() => createEnvelopeEncryptStream({ recipients: [id.publicKey] }), () => source(total)],
    cobblestoneDecrypt: [() => createChunkedDecryptStream(key), from(cobbleCt)],
    envelopeDecrypt: [() => createEnvelopeDecryptStream({ identities: [id.secretKey] }), from(envelopeCt)],
  },
  total,
);

// The header's fixed cost: an empty envelope through each stream (HPKE seal or open, MAC).
const h0 = process.hrtime.bigint();
const emptyEnvelope = await collect(createEnvelopeEncryptStream({ recipients: [id.publicKey] }), 0);
const h1 = process.hrtime.bigint();
await once(() => createEnvelopeDecryptStream({ identities: [id.secretKey] }), from(emptyEnvelope));
const h2 = process.hrtime.bigint();

// argon2id at the default cost: one seal (one KDF run) and one open (one more).
const t0 = process.hrtime.bigint();
const sealed = await encryptEnvelope(new Uint8Array(1), { recipients: [{ passphrase: 'bench' }] });
const t1 = process.hrtime.bigint();
await decryptEnvelope(sealed, { identities: [{ passphrase: 'bench' }] });
const t2 = process.hrtime.bigint();

console.log(
  JSON.stringify(
    {
      backend: backendInfo().kernel,
      cores: availableParallelism(),
      load1: Number(loadavg()[0].toFixed(2)),
      mib,
      rounds,
      mbPerSecond: results,
      emptyEnvelopeMs: { encrypt: Number(h1 - h0) / 1e6, decrypt: Number(h2 - h1) / 1e6 },
      argon2id: { ...DEFAULT_ARGON2ID, sealSeconds: Number(t1 - t0) / 1e9, openSeconds: Number(t2 - t1) / 1e9 },
    },
    null,
    1,
  ),
);
