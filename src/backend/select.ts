/**
 * Backend choice. 'auto' takes the native addon when it loads and the CPU has AES-NI
 * and PCLMULQDQ (arm64: the AES and PMULL instructions), else the portable backend;
 * SECTORCRYPT_BACKEND overrides 'auto'.
 */
import { SectorCryptError } from '../errors.js';
import type { Backend } from './types.js';
import { portableBackend } from './portable.js';
import { loadNative, nativeUnavailable } from './native.js';

export type BackendChoice = 'auto' | 'native' | 'portable';

export interface BackendInfo {
  backend: 'native' | 'portable';
  kernel: string;
  cpu: Record<string, boolean>;
  reason?: string;
}

function envChoice(): BackendChoice {
  const value = process.env.SECTORCRYPT_BACKEND;
  if (value === undefined || value === '' || value === 'auto') return 'auto';
  if (value === 'native' || value === 'portable') return value;
  throw new SectorCryptError('ERR_ARGUMENT', `SECTORCRYPT_BACKEND must be auto, native or portable, not "${value}"`);
}

function checkChoice(choice: unknown): BackendChoice {
  if (choice === undefined) return 'auto';
  if (choice === 'auto' || choice === 'native' || choice === 'portable') return choice;
  throw new SectorCryptError('ERR_ARGUMENT', `backend must be 'auto', 'native' or 'portable'`);
}

/**
 * Resolves a choice to a backend; 'native' where it cannot load is ERR_BACKEND_UNAVAILABLE.
 * `kernel` names a native kernel (benchmarks and tests compare them in one process).
 */
export function getBackend(choice?: BackendChoice, kernel?: string): Backend {
  if (kernel !== undefined) return kernelBackend(choice, kernel);
  let wanted = checkChoice(choice);
  if (wanted === 'auto') wanted = envChoice();
  if (wanted === 'portable') return portableBackend;
  const native = loadNative();
  if (native.backend) return native.backend;
  // A kernel forced by SECTORCRYPT_KERNEL that cannot run is an error even for 'auto':
  // falling back would measure or test something other than what was asked for.
  if (wanted === 'native' || native.kernelError) nativeUnavailable(native);
  return portableBackend;
}

function kernelBackend(choice: BackendChoice | undefined, kernel: unknown): Backend {
  if (typeof kernel !== 'string') throw new SectorCryptError('ERR_ARGUMENT', 'kernel must be a string');
  if (checkChoice(choice) === 'portable') {
    throw new SectorCryptError('ERR_ARGUMENT', 'a kernel can only be chosen with the native backend');
  }
  const native = loadNative();
  const backend = native.byKernel.get(kernel);
  if (backend) return backend;
  const why = native.kernels.length > 0 ? `this CPU runs: ${native.kernels.join(', ')}` : native.reason;
  throw new SectorCryptError('ERR_BACKEND_UNAVAILABLE', `kernel ${kernel} cannot run here; ${why}`);
}

/** Which backend and kernel 'auto' uses here, the CPU features seen, and why if portable. */
export function backendInfo(): BackendInfo {
  const native = loadNative();
  const wanted = envChoice();
  // A forced choice that cannot be honoured is an error here too: reporting 'portable'
  // would describe something other than what every cipher object would refuse to do.
  if (wanted !== 'portable' && native.kernelError) nativeUnavailable(native);
  if (wanted === 'native' && !native.backend) nativeUnavailable(native);
  if (wanted !== 'portable' && native.backend) {
    return { backend: 'native', kernel: native.backend.kernel, cpu: native.cpu };
  }
  const reason = wanted === 'portable' ? 'SECTORCRYPT_BACKEND=portable' : native.reason;
  return { backend: 'portable', kernel: 'portable', cpu: native.cpu, reason };
}
