/**
 * Passphrase KDFs of LUKS2 key slots: argon2id / argon2i and PBKDF2 (node:crypto).
 *
 * Argon2 runs in the `argon2` package's native build, which computes the lanes on threads
 * as cryptsetup does; where that build does not load, in hash-wasm's WebAssembly, on one
 * thread (about 2.5 times slower with 4 lanes on this project's 2-core machines).
 */
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { pbkdf2 } from 'node:crypto';
import { promisify } from 'node:util';
import { argon2id, argon2i } from 'hash-wasm';
import { SectorCryptError } from '../errors.js';
import { checkOptionKeys } from '../options.js';

const pbkdf2Async = promisify(pbkdf2);

export type KdfType = 'argon2id' | 'argon2i' | 'pbkdf2';

/** What a caller may pass: a type and optional costs; the rest take the defaults below. */
export interface PbkdfOptions {
  type?: KdfType;
  /** argon2: passes over memory. Default 4. */
  time?: number;
  /** argon2: KiB of memory. Default 262144 (256 MiB). */
  memory?: number;
  /** argon2: lanes. Default 4. */
  parallel?: number;
  /** pbkdf2: iterations. Default 1,000,000. */
  iterations?: number;
  /** pbkdf2: hash. Default sha256. */
  hash?: 'sha256' | 'sha512';
}

export type KdfParams =
  | { type: 'argon2id' | 'argon2i'; time: number; memory: number; cpus: number; salt: Uint8Array }
  | { type: 'pbkdf2'; hash: string; iterations: number; salt: Uint8Array };

/**
 * Fixed defaults instead of cryptsetup's timing benchmark: 256 MiB and 4 passes take about
 * 1.5 s in WASM on one core (cryptsetup's own 1 GiB would take 8 s there).
 */
export const DEFAULT_ARGON2 = { time: 4, memory: 262144, parallel: 4 } as const;
export const DEFAULT_PBKDF2_ITERATIONS = 1_000_000;

function int(value: unknown, name: string, min: number, max: number, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new SectorCryptError('ERR_ARGUMENT', `pbkdf.${name} must be an integer from ${min} to ${max}`);
  }
  return value;
}

/** Fills in defaults and checks limits (those cryptsetup accepts). */
export function kdfParams(opts: PbkdfOptions | undefined, salt: Uint8Array): KdfParams {
  checkOptionKeys(opts, ['type', 'time', 'memory', 'parallel', 'iterations', 'hash'], 'pbkdf options');
  const type = opts?.type ?? 'argon2id';
  if (type === 'pbkdf2') {
    const hash = opts?.hash ?? 'sha256';
    if (hash !== 'sha256' && hash !== 'sha512') throw new SectorCryptError('ERR_ARGUMENT', 'pbkdf.hash must be sha256 or sha512');
    return { type, hash, iterations: int(opts?.iterations, 'iterations', 1000, 2 ** 32 - 1, DEFAULT_PBKDF2_ITERATIONS), salt };
  }
  if (type !== 'argon2id' && type !== 'argon2i')
    throw new SectorCryptError('ERR_ARGUMENT', 'pbkdf.type must be argon2id, argon2i or pbkdf2');
  return {
    type,
    time: int(opts?.time, 'time', 4, 2 ** 32 - 1, DEFAULT_ARGON2.time),
    memory: int(opts?.memory, 'memory', 32, 4 * 1024 * 1024, DEFAULT_ARGON2.memory),
    cpus: int(opts?.parallel, 'parallel', 1, 4, DEFAULT_ARGON2.parallel),
    salt,
  };
}

/** Argon2 memory (KiB) from which the native build is used: below it the WebAssembly one is as quick. */
const NATIVE_MIN_KIB = 64 * 1024;

type Argon2Params = Extract<KdfParams, { type: 'argon2id' | 'argon2i' }>;
/** The part of the `argon2` package's API used here. */
interface NativeArgon2 {
  hash(password: Buffer, options: Record<string, unknown> & { raw: true }): Promise<Buffer>;
  argon2id: number;
  argon2i: number;
}

let nativeArgon2: NativeArgon2 | null | undefined;

/**
 * True when the `argon2` package loads in a child process. A native build that does not
 * fit this Node can crash the process that loads it rather than throw (the package's
 * linux-x64 prebuild of 0.45.1, built for a newer N-API, does so on Node 20.20; 0.44.0 is pinned),
 * so it is tried in a child first: a crash there costs the fallback, not the process.
 */
export function loadsInChild(modulePath: string): boolean {
  const probe = spawnSync(process.execPath, ['-e', `require(${JSON.stringify(modulePath)})`], { stdio: 'ignore', timeout: 30_000 });
  return probe.status === 0;
}

/**
 * The `argon2` package, or null when its native build does not load here (or
 * SECTORCRYPT_ARGON2=wasm asks for the fallback). Loaded once, on first use.
 */
function loadNativeArgon2(): NativeArgon2 | null {
  if (nativeArgon2 === undefined) {
    if (process.env.SECTORCRYPT_ARGON2 === 'wasm') return (nativeArgon2 = null);
    try {
      const require = createRequire(import.meta.url);
      const modulePath = require.resolve('argon2');
      nativeArgon2 = loadsInChild(modulePath) ? (require(modulePath) as NativeArgon2) : null;
    } catch {
      nativeArgon2 = null;
    }
  }
  return nativeArgon2;
}

/** Which argon2 deriveKey uses: 'native' (lanes on threads) or 'wasm' (one thread). */
export function argon2Engine(): 'native' | 'wasm' {
  return loadNativeArgon2() ? 'native' : 'wasm';
}

async function argon2Native(lib: NativeArgon2, passphrase: Uint8Array, params: Argon2Params, length: number): Promise<Uint8Array> {
  // The package copies the password into a Buffer of its own, which it does not wipe.
  const raw = await lib.hash(Buffer.from(passphrase.buffer, passphrase.byteOffset, passphrase.length), {
    type: params.type === 'argon2id' ? lib.argon2id : lib.argon2i,
    salt: Buffer.from(params.salt),
    timeCost: params.time,
    memoryCost: params.memory,
    parallelism: params.cpus,
    hashLength: length,
    version: 0x13,
    raw: true,
  });
  const key = new Uint8Array(raw);
  raw.fill(0);
  return key;
}

/**
 * Derives `length` key bytes from the passphrase. `engine` picks the argon2 implementation
 * (tests compare them); by default the native one where it loads.
 */
export async function deriveKey(
  passphrase: Uint8Array,
  params: KdfParams,
  length: number,
  engine?: 'native' | 'wasm',
): Promise<Uint8Array> {
  if (params.type === 'pbkdf2') {
    const out = await pbkdf2Async(passphrase, params.salt, params.iterations, length, params.hash);
    return new Uint8Array(out.buffer, out.byteOffset, out.length);
  }
  // Small costs take milliseconds either way: not worth the native build's load-time probe.
  const lib = engine === 'wasm' || (engine === undefined && params.memory < NATIVE_MIN_KIB) ? null : loadNativeArgon2();
  if (engine === 'native' && !lib) throw new SectorCryptError('ERR_BACKEND_UNAVAILABLE', 'the argon2 package did not load');
  if (lib) return argon2Native(lib, passphrase, params, length);
  const argon = params.type === 'argon2id' ? argon2id : argon2i;
  return argon({
    password: passphrase,
    salt: params.salt,
    iterations: params.time,
    memorySize: params.memory,
    parallelism: params.cpus,
    hashLength: length,
    outputType: 'binary',
  });
}
