/** identity.hostname: the kernel's host name (gethostname(2)). */
import { hostname } from 'node:os';
import type { Collector } from './types.js';

export function hostnameCollector(): Collector {
  return {
    name: 'hostname',
    sources: [{ claim: 'identity.hostname', source: 'gethostname(2)', trust: 'agent' }],
    async collect() {
      const name = hostname();
      return name ? { claims: { 'identity.hostname': name } } : { unavailable: 'the host name is empty' };
    },
  };
}
