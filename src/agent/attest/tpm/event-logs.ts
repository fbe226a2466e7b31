/**
 * The measurement logs the kernel exposes: the firmware's TCG2 event log (PCRs 0-7, from
 * the UEFI TCG2 protocol) and IMA's binary log (PCR 10). Either may be absent (no UEFI, IMA
 * off, securityfs not mounted, not root): that is reported, not an error.
 */
import { open } from 'node:fs/promises';

export const UEFI_EVENT_LOG = '/sys/kernel/security/tpm0/binary_bios_measurements';
export const IMA_EVENT_LOG = '/sys/kernel/security/ima/binary_runtime_measurements';

/** Logs past this are refused (an IMA log grows with every file measured). */
export const MAX_EVENT_LOG_BYTES = 64 * 1024 * 1024;

export interface EventLogs {
  uefi?: Uint8Array;
  ima?: Uint8Array;
  /** Why a log is missing ("uefi: ENOENT"). */
  missing: string[];
}

/** securityfs files report size 0: read until end of file. */
async function readLog(path: string): Promise<Uint8Array> {
  const fh = await open(path, 'r');
  try {
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const buf = Buffer.alloc(1 << 20);
      const { bytesRead } = await fh.read(buf, 0, buf.length, null);
      if (bytesRead === 0) break;
      total += bytesRead;
      if (total > MAX_EVENT_LOG_BYTES) throw Object.assign(new Error('too large'), { code: 'EFBIG' });
      chunks.push(buf.subarray(0, bytesRead));
    }
    return new Uint8Array(Buffer.concat(chunks));
  } finally {
    await fh.close();
  }
}

export async function readEventLogs(paths: { uefi?: string; ima?: string } = {}): Promise<EventLogs> {
  const out: EventLogs = { missing: [] };
  for (const [kind, path] of [
    ['uefi', paths.uefi ?? UEFI_EVENT_LOG],
    ['ima', paths.ima ?? IMA_EVENT_LOG],
  ] as const) {
    try {
      out[kind] = await readLog(path);
    } catch (err) {
      out.missing.push(`${kind}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
  }
  return out;
}
