/**
 * The firmware's TCG2 crypto-agile event log (TCG PC Client Platform Firmware Profile,
 * "PFP", version 1.05, §10): little-endian. The first event is a TCG_PCClientPCREvent in the
 * SHA-1 format whose data is the Spec ID event (§10.4.5.1, signature "Spec ID Event03"),
 * naming the digest algorithms and sizes; every later event is a TCG_PCR_EVENT2 (§10.2.2)
 * with one digest per algorithm.
 *
 * Replaying extends each PCR from its reset value (zero, except PCR 0 after a StartupLocality
 * event, §10.4.5.3) with the event digests of one bank. The log itself is not signed: an
 * event's data is only worth anything where the digest is the hash of that data and the PCR it
 * was extended into replays to a quoted value.
 */
import { createHash } from 'node:crypto';
import { HASHES, TPM_ALG } from './alg.js';
import { ByteReader, tpmFormatError } from './reader.js';

const WHAT = 'TCG2 event log';

/** Event types (PFP §10.4.1). */
export const EV = {
  PREBOOT_CERT: 0x0,
  POST_CODE: 0x1,
  NO_ACTION: 0x3,
  SEPARATOR: 0x4,
  ACTION: 0x5,
  EVENT_TAG: 0x6,
  S_CRTM_VERSION: 0x8,
  IPL: 0xd,
  EFI_VARIABLE_DRIVER_CONFIG: 0x80000001,
  EFI_VARIABLE_BOOT: 0x80000002,
  EFI_BOOT_SERVICES_APPLICATION: 0x80000003,
  EFI_ACTION: 0x80000007,
  EFI_VARIABLE_AUTHORITY: 0x800000e0,
} as const;

export interface UefiEvent {
  pcr: number;
  type: number;
  /** Algorithm id -> digest. */
  digests: Map<number, Uint8Array>;
  data: Uint8Array;
}

export interface UefiEventLog {
  /** Algorithm id -> digest size, from the Spec ID event. */
  algorithms: Map<number, number>;
  startupLocality: number;
  events: UefiEvent[];
}

/** Events past this many are refused: a real boot logs hundreds, not millions. */
export const MAX_UEFI_EVENTS = 100_000;

const SPEC_ID = 'Spec ID Event03\0';
const STARTUP_LOCALITY = 'StartupLocality\0';

function ascii(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('latin1');
}

export function parseUefiEventLog(bytes: Uint8Array): UefiEventLog {
  const r = new ByteReader(bytes, WHAT, true);
  // The header event: TCG_PCClientPCREvent with a SHA-1 sized digest (PFP §10.2.1).
  const pcr0 = r.u32('header.pcrIndex');
  const type0 = r.u32('header.eventType');
  r.bytesOf(20, 'header.digest');
  const header = new ByteReader(r.bytesOf(r.u32('header.eventSize'), 'header.event'), `${WHAT} Spec ID event`, true);
  if (pcr0 !== 0 || type0 !== EV.NO_ACTION) throw tpmFormatError(WHAT, 'the first event is not the Spec ID event (EV_NO_ACTION in PCR 0)');
  if (ascii(header.bytesOf(16, 'signature')) !== SPEC_ID)
    throw tpmFormatError(WHAT, 'not a crypto-agile log (no "Spec ID Event03" signature)');
  header.u32('platformClass');
  header.u8('specVersionMinor');
  const major = header.u8('specVersionMajor');
  header.u8('specErrata');
  header.u8('uintnSize');
  if (major !== 2) throw tpmFormatError(WHAT, `spec version major ${major} is not 2`);
  const count = header.u32('numberOfAlgorithms');
  if (count < 1 || count > 16) throw tpmFormatError(WHAT, `numberOfAlgorithms ${count} is not 1 to 16`);
  const algorithms = new Map<number, number>();
  for (let i = 0; i < count; i++) {
    const alg = header.u16('algorithmId');
    const size = header.u16('digestSize');
    if (size > 64) throw tpmFormatError(WHAT, `digest size ${size} for algorithm 0x${alg.toString(16)} exceeds 64`);
    if (HASHES[alg] && HASHES[alg]!.size !== size) throw tpmFormatError(WHAT, `digest size ${size} for ${HASHES[alg]!.name}`);
    algorithms.set(alg, size);
  }
  header.bytesOf(header.u8('vendorInfoSize'), 'vendorInfo');

  const events: UefiEvent[] = [];
  let startupLocality = 0;
  while (r.remaining > 0) {
    if (events.length >= MAX_UEFI_EVENTS) throw tpmFormatError(WHAT, `more than ${MAX_UEFI_EVENTS} events`);
    const pcr = r.u32('pcrIndex');
    if (pcr > 23) throw tpmFormatError(WHAT, `event ${events.length + 1}: PCR ${pcr} does not exist`);
    const type = r.u32('eventType');
    const n = r.u32('digests.count');
    if (n > algorithms.size)
      throw tpmFormatError(WHAT, `event ${events.length + 1}: ${n} digests, the header names ${algorithms.size} algorithms`);
    const digests = new Map<number, Uint8Array>();
    for (let i = 0; i < n; i++) {
      const alg = r.u16('digest.hashAlg');
      const size = algorithms.get(alg);
      if (size === undefined)
        throw tpmFormatError(WHAT, `event ${events.length + 1}: digest algorithm 0x${alg.toString(16)} not named in the header`);
      digests.set(alg, r.bytesOf(size, 'digest'));
    }
    const data = r.bytesOf(r.u32('eventSize'), 'event');
    if (type === EV.NO_ACTION && pcr === 0 && data.length === 17 && ascii(data.subarray(0, 16)) === STARTUP_LOCALITY)
      startupLocality = data[16]!;
    events.push({ pcr, type, digests, data });
  }
  return { algorithms, startupLocality, events };
}

/** The PCR values of one bank after every event of the log, for the PCRs the log extends. */
export function replayUefiLog(log: UefiEventLog, hashAlg: number = TPM_ALG.SHA256): Map<number, Uint8Array> {
  const hash = HASHES[hashAlg]!;
  const pcrs = new Map<number, Uint8Array>();
  for (const [i, e] of log.events.entries()) {
    if (e.type === EV.NO_ACTION) continue; // informational, never extended (PFP §10.4.5)
    const digest = e.digests.get(hashAlg);
    if (!digest) throw tpmFormatError(WHAT, `event ${i + 1} (PCR ${e.pcr}) has no ${hash.name} digest`);
    let value = pcrs.get(e.pcr);
    if (!value) {
      value = new Uint8Array(hash.size);
      if (e.pcr === 0) value[hash.size - 1] = log.startupLocality;
    }
    pcrs.set(e.pcr, new Uint8Array(createHash(hash.name).update(value).update(digest).digest()));
  }
  return pcrs;
}

/** The event's data is what was measured: its digest in `hashAlg` is the hash of `data`. */
function binds(e: UefiEvent, data: Uint8Array, hashAlg: number): boolean {
  const d = e.digests.get(hashAlg);
  return d !== undefined && Buffer.from(d).equals(createHash(HASHES[hashAlg]!.name).update(data).digest());
}

/** EFI_GLOBAL_VARIABLE 8be4df61-93ca-11d2-aa0d-00e098032b8c, as EFI_GUID lays it out (little-endian fields). */
const EFI_GLOBAL_VARIABLE = Buffer.from('61dfe48bca93d211aa0d00e098032b8c', 'hex');

/** UEFI_VARIABLE_DATA (PFP §10.3.3): VariableName GUID, name length, data length, UTF-16 name, data. */
export function parseVariableData(data: Uint8Array): { guid: Uint8Array; name: string; value: Uint8Array } | undefined {
  try {
    const r = new ByteReader(data, 'UEFI_VARIABLE_DATA', true);
    const guid = r.bytesOf(16, 'VariableName');
    const nameLen = r.u64('UnicodeNameLength');
    const dataLen = r.u64('VariableDataLength');
    if (nameLen > 1024n || dataLen > BigInt(r.remaining)) return undefined;
    const name = Buffer.from(r.bytesOf(Number(nameLen) * 2, 'UnicodeName')).toString('utf16le');
    const value = r.bytesOf(Number(dataLen), 'VariableData');
    return { guid, name, value };
  } catch {
    return undefined;
  }
}

export interface UefiFacts {
  /** The SecureBoot variable measured into PCR 7 (PFP §10.4.4 item 1). */
  secureBoot?: boolean;
  /** The kernel command line measured by the boot loader (GRUB: PCR 8 EV_IPL "kernel_cmdline: ..."; systemd-stub: PCR 12). */
  kernelCmdline?: string;
}

const CMDLINE_PREFIX = 'kernel_cmdline: ';

/** Command line candidates an event's data may carry, each checked against its digest. */
function cmdlineOf(e: UefiEvent, hashAlg: number): string | undefined {
  if (e.pcr === 8 && e.type === EV.IPL) {
    const text = ascii(e.data).replace(/\0+$/, '');
    if (!text.startsWith(CMDLINE_PREFIX)) return undefined;
    // GRUB measures the command line itself and logs it with the prefix (with or without its NUL).
    const cmd = text.slice(CMDLINE_PREFIX.length);
    for (const candidate of [cmd, `${cmd}\0`]) if (binds(e, Buffer.from(candidate, 'latin1'), hashAlg)) return cmd;
    return undefined;
  }
  if (e.pcr === 12 && (e.type === EV.IPL || e.type === EV.EVENT_TAG)) {
    // systemd-stub measures the UTF-16 LoadOptions; an EV_EVENT_TAG wraps them in a tagged event.
    let payload = e.data;
    if (e.type === EV.EVENT_TAG) {
      if (payload.length < 8) return undefined;
      const size = Buffer.from(payload).readUInt32LE(4);
      if (size !== payload.length - 8) return undefined;
      payload = payload.subarray(8);
    }
    if (payload.length % 2 !== 0 || !binds(e, payload, hashAlg)) return undefined;
    return Buffer.from(payload).toString('utf16le').replace(/\0+$/, '');
  }
  return undefined;
}

/**
 * Facts from events in the PCRs of `verified` (those that replayed to the quoted values) whose
 * data hashes to their digest.
 */
export function uefiFacts(log: UefiEventLog, verified: ReadonlySet<number>, hashAlg: number = TPM_ALG.SHA256): UefiFacts {
  const facts: UefiFacts = {};
  for (const e of log.events) {
    if (!verified.has(e.pcr) || e.type === EV.NO_ACTION) continue;
    if (e.pcr === 7 && e.type === EV.EFI_VARIABLE_DRIVER_CONFIG && binds(e, e.data, hashAlg)) {
      const v = parseVariableData(e.data);
      if (v && v.name === 'SecureBoot' && EFI_GLOBAL_VARIABLE.equals(v.guid)) facts.secureBoot = v.value.length === 1 && v.value[0] === 1;
    }
    const cmd = cmdlineOf(e, hashAlg);
    if (cmd !== undefined) facts.kernelCmdline = cmd;
  }
  return facts;
}
