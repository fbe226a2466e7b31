/**
 * Event logs built by the tests, byte for byte as firmware and the kernel write them: a TCG2
 * crypto-agile log (PC Client PFP §10: Spec ID header event, then TCG_PCR_EVENT2 with sha1 and
 * sha256 digests) and an IMA ima-ng binary log. Each event also says what to extend into the
 * TPM, so a test can make the swtpm's PCRs match (or not) the log.
 */
import { createHash } from 'node:crypto';

const le32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n >>> 0);
  return b;
};
const le16 = (n: number) => {
  const b = Buffer.alloc(2);
  b.writeUInt16LE(n);
  return b;
};
const le64 = (n: number) => {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(BigInt(n));
  return b;
};

export const SHA1 = 0x0004;
export const SHA256 = 0x000b;

export interface LogEvent {
  pcr: number;
  type: number;
  data: Uint8Array;
  /** What was measured (default: data); the digests are its hashes unless `sha256` overrides. */
  measured?: Uint8Array;
  sha256?: Uint8Array;
}

export function sha256(data: Uint8Array | string): Buffer {
  return createHash('sha256').update(data).digest();
}

export function eventSha256(e: LogEvent): Buffer {
  return e.sha256 ? Buffer.from(e.sha256) : sha256(e.measured ?? e.data);
}

export function specIdEvent(): Buffer {
  const spec = Buffer.concat([
    Buffer.from('Spec ID Event03\0', 'latin1'),
    le32(0), // platformClass: client
    Buffer.from([0, 2, 0, 2]), // specVersionMinor 0, major 2, errata 0, uintnSize 2 (64-bit)
    le32(2),
    le16(SHA1),
    le16(20),
    le16(SHA256),
    le16(32),
    Buffer.from([0]), // vendorInfoSize
  ]);
  return Buffer.concat([le32(0), le32(0x3), Buffer.alloc(20), le32(spec.length), spec]);
}

export function event2(e: LogEvent): Buffer {
  const measured = e.measured ?? e.data;
  return Buffer.concat([
    le32(e.pcr),
    le32(e.type),
    le32(2),
    le16(SHA1),
    createHash('sha1').update(measured).digest(),
    le16(SHA256),
    eventSha256(e),
    le32(e.data.length),
    Buffer.from(e.data),
  ]);
}

export function uefiLog(events: LogEvent[]): Buffer {
  return Buffer.concat([specIdEvent(), ...events.map(event2)]);
}

/** UEFI_VARIABLE_DATA for a variable of EFI_GLOBAL_VARIABLE. */
export function variableData(name: string, value: Uint8Array): Buffer {
  const guid = Buffer.from('61dfe48bca93d211aa0d00e098032b8c', 'hex');
  const uname = Buffer.from(name, 'utf16le');
  return Buffer.concat([guid, le64(name.length), le64(value.length), uname, Buffer.from(value)]);
}

export const EV_NO_ACTION = 0x3;
export const EV_SEPARATOR = 0x4;
export const EV_IPL = 0xd;
export const EV_EFI_VARIABLE_DRIVER_CONFIG = 0x80000001;

/** A boot as a test sees it: SecureBoot on in PCR 7, a separator, GRUB's kernel command line in PCR 8. */
export function bootEvents(cmdline: string, secureBoot = 1): LogEvent[] {
  return [
    { pcr: 7, type: EV_EFI_VARIABLE_DRIVER_CONFIG, data: variableData('SecureBoot', new Uint8Array([secureBoot])) },
    { pcr: 7, type: EV_SEPARATOR, data: Buffer.alloc(4) },
    { pcr: 8, type: EV_IPL, data: Buffer.from(`kernel_cmdline: ${cmdline}\0`, 'latin1'), measured: Buffer.from(cmdline, 'latin1') },
  ];
}

export interface ImaFile {
  path: string;
  content: string | Uint8Array;
}

/** ima-ng template data: d-ng ("sha256:\0" + digest) and n-ng (path + NUL), each length-prefixed. */
export function imaTemplateData(f: ImaFile): Buffer {
  const dng = Buffer.concat([Buffer.from('sha256:\0', 'latin1'), sha256(f.content)]);
  const nng = Buffer.from(`${f.path}\0`, 'utf8');
  return Buffer.concat([le32(dng.length), dng, le32(nng.length), nng]);
}

export function imaEntry(f: ImaFile, pcr = 10): Buffer {
  const data = imaTemplateData(f);
  const name = Buffer.from('ima-ng', 'latin1');
  return Buffer.concat([le32(pcr), createHash('sha1').update(data).digest(), le32(name.length), name, le32(data.length), data]);
}

export function imaLog(files: ImaFile[]): Buffer {
  return Buffer.concat(files.map((f) => imaEntry(f)));
}

/** What IMA extends into the sha256 bank for a file. */
export function imaExtend(f: ImaFile): Buffer {
  return sha256(imaTemplateData(f));
}
