/**
 * The native backend: the C++ addon (native/), loaded with node-gyp-build so that a
 * prebuild in prebuilds/<platform>-<arch>/ wins over a local build in build/.
 */
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { SectorCryptError } from '../errors.js';
import { codedGcmKey, codedXtsKey } from './native-errors.js';
import { advanceTweak } from '../tweak.js';
import type { Backend, GcmKeyHandle, XtsKeyHandle } from './types.js';

/** The addon's exports (native/addon.cc). */
interface Addon {
  cpuFeatures(): Record<string, boolean>;
  kernels(): string[];
  XtsKey: new (key: Uint8Array, kernel?: string) => XtsKeyHandle;
  GcmKey: new (key: Uint8Array, kernel?: string) => GcmKeyHandle;
  tuneMalloc(mmapThreshold: number, trimThreshold: number): boolean;
  aesCeiling(kernel: string, keyBits: number, bytes: number): number;
}

export interface NativeStatus {
  /** Set when the addon loaded and a kernel runs on this CPU. */
  backend?: Backend;
  /** CPU features the addon saw (empty when it did not load). */
  cpu: Record<string, boolean>;
  /** Kernels this CPU can run, best first. */
  kernels: string[];
  /** A backend bound to each of those kernels, whatever SECTORCRYPT_KERNEL says (tests, bench). */
  byKernel: Map<string, Backend>;
  /** Why there is no backend. */
  reason?: string;
  /** Set when the addon loads but SECTORCRYPT_KERNEL names a kernel it cannot run. */
  kernelError?: string;
  /** Whether glibc's malloc thresholds were raised (see tuneMalloc below). */
  mallocTuned: boolean;
  /**
   * The bench's calibration run of a kernel: at least `bytes` of AES in independent register
   * chains with no memory traffic (native/aes_rounds.h); returns the bytes done.
   */
  aesCeiling?: (kernel: string, keyBits: number, bytes: number) => number;
}

/** Async batches are cut into slices of at least this size, one per thread-pool job. */
const SLICE_MIN_BYTES = 256 * 1024;

const packageRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

type SectorsCall = XtsKeyHandle['encryptSectorsAsync'];

/**
 * Runs a sector batch on the thread pool, cut into up to one slice per core so that
 * every core works on it; each slice starts at its own tweak.
 */
function sliced(async: SectorsCall): SectorsCall {
  return async (src, dst, sectorSize, firstTweak, step) => {
    const sectors = src.length / sectorSize;
    const slices = Math.max(1, Math.min(availableParallelism(), Math.floor(src.length / SLICE_MIN_BYTES), sectors));
    const perSlice = Math.ceil(sectors / slices);
    const jobs: Promise<void>[] = [];
    for (let first = 0; first < sectors; first += perSlice) {
      const count = Math.min(perSlice, sectors - first);
      const begin = first * sectorSize;
      const end = begin + count * sectorSize;
      const tweak = first === 0 ? firstTweak : advanceTweak(firstTweak, first, step);
      jobs.push(async(src.subarray(begin, end), dst.subarray(begin, end), sectorSize, tweak, step));
    }
    await Promise.all(jobs);
  };
}

/** The addon's XtsKey with big async batches spread over the cores. */
function withSlicing(key: XtsKeyHandle): XtsKeyHandle {
  return {
    encryptSectors: key.encryptSectors.bind(key),
    decryptSectors: key.decryptSectors.bind(key),
    encryptSectorsAsync: sliced(key.encryptSectorsAsync.bind(key)),
    decryptSectorsAsync: sliced(key.decryptSectorsAsync.bind(key)),
    encryptUnit: key.encryptUnit.bind(key),
    decryptUnit: key.decryptUnit.bind(key),
    destroy: key.destroy.bind(key),
  };
}

function describe(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  return message.split('\n')[0];
}

/**
 * glibc malloc thresholds (native/malloc_tuning.h): blocks up to 32 MiB come from the heap
 * (the most glibc's own adaptive threshold reaches), and up to 64 MiB of free memory at
 * the top of the heap stays mapped, so result arrays reuse pages instead of faulting in
 * new ones. This changes the host process's allocator, so it can be turned off with
 * SECTORCRYPT_MALLOC=system; it is also left alone when GLIBC_TUNABLES sets malloc options.
 */
const MMAP_THRESHOLD = 32 * 1024 * 1024;
const TRIM_THRESHOLD = 64 * 1024 * 1024;

function tuneMalloc(addon: Addon): boolean {
  if (process.env.SECTORCRYPT_MALLOC === 'system') return false;
  if (process.env.GLIBC_TUNABLES?.includes('glibc.malloc.')) return false;
  return addon.tuneMalloc(MMAP_THRESHOLD, TRIM_THRESHOLD);
}

type OpenChunksCall = GcmKeyHandle['openChunksAsync'];

/**
 * Runs a batch of GCM chunks on the thread pool, cut into up to one slice of whole chunks
 * per core (as `sliced` does for sectors), so that a stream's batch keeps every core busy
 * with one batch in flight instead of several. Resolves to the chunks that authenticated
 * in order: the slices' counts up to the first slice that stopped short.
 */
function slicedChunks(call: OpenChunksCall, tagIn: number, tagOut: number): OpenChunksCall {
  return async (base, src, chunkSize, first, dst) => {
    const inChunk = chunkSize + tagIn;
    const outChunk = chunkSize + tagOut;
    const chunks = src.length / inChunk;
    const slices = Number.isInteger(chunks)
      ? Math.max(1, Math.min(availableParallelism(), Math.floor(src.length / SLICE_MIN_BYTES), chunks))
      : 1;
    if (slices === 1) return call(base, src, chunkSize, first, dst);
    const perSlice = Math.ceil(chunks / slices);
    const counts: number[] = [];
    const jobs: Promise<number>[] = [];
    for (let at = 0; at < chunks; at += perSlice) {
      const count = Math.min(perSlice, chunks - at);
      counts.push(count);
      jobs.push(
        call(
          base,
          src.subarray(at * inChunk, (at + count) * inChunk),
          chunkSize,
          first + at,
          dst.subarray(at * outChunk, (at + count) * outChunk),
        ),
      );
    }
    const verified = await Promise.all(jobs);
    let total = 0;
    for (let i = 0; i < verified.length; i++) {
      total += verified[i];
      if (verified[i] < counts[i]) break;
    }
    return total;
  };
}

/** The addon's GcmKey with big async chunk batches spread over the cores. */
function withChunkSlicing(key: GcmKeyHandle): GcmKeyHandle {
  const seal = key.sealChunksAsync.bind(key) as unknown as OpenChunksCall;
  return {
    seal: key.seal.bind(key),
    open: key.open.bind(key),
    sealChunks: key.sealChunks.bind(key),
    openChunks: key.openChunks.bind(key),
    sealChunksAsync: async (base, src, chunkSize, first, dst) => {
      await slicedChunks(seal, 0, 16)(base, src, chunkSize, first, dst);
    },
    openChunksAsync: slicedChunks(key.openChunksAsync.bind(key), 16, 0),
    destroy: key.destroy.bind(key),
  };
}

function kernelBackend(addon: Addon, kernel: string): Backend {
  return {
    name: 'native',
    kernel,
    xtsKey: (key) => codedXtsKey(withSlicing(new addon.XtsKey(key, kernel))),
    // Small async GCM jobs run inline in C++; batches of 512 KiB and more are sliced.
    gcmKey: (key) => codedGcmKey(withChunkSlicing(new addon.GcmKey(key, kernel))),
  };
}

function load(): NativeStatus {
  let addon: Addon;
  try {
    const require = createRequire(import.meta.url);
    const nodeGypBuild = require('node-gyp-build') as (dir: string) => Addon;
    addon = nodeGypBuild(packageRoot);
  } catch (err) {
    return { cpu: {}, kernels: [], byKernel: new Map(), mallocTuned: false, reason: `native addon did not load: ${describe(err)}` };
  }
  const cpu = addon.cpuFeatures();
  const kernels = addon.kernels();
  const byKernel = new Map(kernels.map((k) => [k, kernelBackend(addon, k)]));
  const mallocTuned = tuneMalloc(addon);
  const aesCeiling = addon.aesCeiling.bind(addon);
  if (kernels.length === 0) {
    return {
      cpu,
      kernels,
      byKernel,
      mallocTuned,
      aesCeiling,
      reason: process.arch === 'arm64' ? 'CPU lacks the ARMv8 AES and PMULL instructions' : 'CPU lacks AES-NI or PCLMULQDQ',
    };
  }
  const forced = process.env.SECTORCRYPT_KERNEL;
  if (forced !== undefined && forced !== '') {
    const backend = byKernel.get(forced);
    if (!backend) {
      const kernelError = `SECTORCRYPT_KERNEL=${forced} cannot run here; this CPU runs: ${kernels.join(', ')}`;
      return { cpu, kernels, byKernel, mallocTuned, aesCeiling, reason: kernelError, kernelError };
    }
    return { backend, cpu, kernels, byKernel, mallocTuned, aesCeiling };
  }
  return { backend: byKernel.get(kernels[0]), cpu, kernels, byKernel, mallocTuned, aesCeiling };
}

let status: NativeStatus | undefined;

/** Loads the addon once; later calls return the same status. */
export function loadNative(): NativeStatus {
  status ??= load();
  return status;
}

/** Throws ERR_BACKEND_UNAVAILABLE with the reason the native backend cannot be used. */
export function nativeUnavailable(status: NativeStatus): never {
  throw new SectorCryptError('ERR_BACKEND_UNAVAILABLE', `native backend unavailable: ${status.reason}`);
}
