/** identity.kernel: the running kernel's release, as `uname -r` prints it (uname(2)). */
import { release } from 'node:os';
import type { Collector } from './types.js';

export function kernelCollector(): Collector {
  return {
    name: 'kernel',
    sources: [{ claim: 'identity.kernel', source: 'uname(2) release', trust: 'agent' }],
    async collect() {
      const value = release();
      return value ? { claims: { 'identity.kernel': value } } : { unavailable: 'uname(2) gave no release' };
    },
  };
}
