/**
 * integrity.secureBoot: the UEFI SecureBoot variable. An efivarfs file is 4 bytes of
 * attributes then the value; SecureBoot's value is one byte, 1 when enforcing.
 */
import { readFile } from 'node:fs/promises';
import { reasonOf, type Collector } from './types.js';

export const SECURE_BOOT_VAR = '/sys/firmware/efi/efivars/SecureBoot-8be4df61-93ca-11d2-aa0d-00e098032b8c';

export function secureBootCollector(path = SECURE_BOOT_VAR): Collector {
  return {
    name: 'secureBoot',
    sources: [{ claim: 'integrity.secureBoot', source: path, trust: 'agent' }],
    async collect() {
      let bytes: Buffer;
      try {
        bytes = await readFile(path);
      } catch (err) {
        const code = (err as { code?: string }).code;
        // No efivars: a BIOS boot or a VM without UEFI; say so rather than claim false.
        if (code === 'ENOENT') return { unavailable: `${path} is missing (not booted through UEFI, or efivarfs not mounted)` };
        return { unavailable: `cannot read ${path}: ${reasonOf(err)}` };
      }
      if (bytes.length !== 5) return { unavailable: `${path} holds ${bytes.length} bytes, expected 5` };
      return { claims: { 'integrity.secureBoot': bytes[4] === 1 } };
    },
  };
}
