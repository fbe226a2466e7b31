/** identity.machineId: the systemd machine id, 32 lowercase hex digits (machine-id(5)). */
import { readFile } from 'node:fs/promises';
import { reasonOf, type Collector } from './types.js';

export function machineIdCollector(path = '/etc/machine-id'): Collector {
  return {
    name: 'machineId',
    sources: [{ claim: 'identity.machineId', source: path, trust: 'agent' }],
    async collect() {
      let text: string;
      try {
        text = await readFile(path, 'utf8');
      } catch (err) {
        return { unavailable: `cannot read ${path}: ${reasonOf(err)}` };
      }
      const id = text.trim();
      // "uninitialized" (first boot) or an empty file is not an identity.
      if (!/^[0-9a-f]{32}$/.test(id)) return { unavailable: `${path} does not hold a 32-hex-digit id` };
      return { claims: { 'identity.machineId': id } };
    },
  };
}
