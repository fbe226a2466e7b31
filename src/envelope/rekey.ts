/**
 * rekeyEnvelope (docs/envelope.md "API"): a new header with the same file key (kept stanzas
 * byte for byte and in order, then stanzas for the added recipients, and a new MAC) before
 * the unchanged payload bytes. A file is written beside its target and renamed over it once
 * complete, so a failure leaves the old file as it was.
 */
import { randomBytes } from 'node:crypto';
import { open, rename, unlink } from 'node:fs/promises';
import path from 'node:path';
import { isBytes, wipe } from '../bytes.js';
import { openSource, type Source } from '../chunked/source.js';
import { SectorCryptError } from '../errors.js';
import type { Identity } from './identities.js';
import { DECRYPT_KEYS, openFileKey, type EnvelopeDecryptOptions } from './oneshot.js';
import { checkList, checkObject } from './options.js';
import type { Recipient } from './recipients.js';
import { encryptSealers, sealHeader } from './seal-header.js';
import type { Stanza } from './header.js';
import { SHARE, thresholdGroups } from './stanzas/threshold.js';
import type { ThresholdOptions } from './threshold.js';
import { readSourceHeader } from './source-header.js';
import { MAX_STANZAS } from './format.js';

export interface RekeyOptions {
  identities: Identity[];
  add?: Recipient[];
  /** Stanza indexes, as inspectEnvelope lists them; a group's `threshold` stanza takes its shares along. */
  remove?: number[];
  /**
   * A new threshold group of the same file key (new shares, new group id) in place of every
   * group the envelope has: how members or k change without touching the payload.
   */
  threshold?: ThresholdOptions;
  /** Where to write; default: over the source file (a path), or returned (bytes). */
  output?: string;
}

const COPY_STEP = 1024 * 1024;

function removals(remove: unknown, stanzas: readonly Stanza[], replaceGroups: boolean): Set<number> {
  const count = stanzas.length;
  const list = remove === undefined ? [] : checkList<unknown>(remove, 'remove', 0);
  for (const index of list) {
    if (typeof index !== 'number' || !Number.isInteger(index) || index < 0 || index >= count) {
      throw new SectorCryptError('ERR_ARGUMENT', `remove: no stanza ${String(index)} (the header has ${count}, from 0)`);
    }
  }
  const removed = new Set(list as number[]);
  const groups = thresholdGroups(stanzas);
  for (const index of removed) {
    if (stanzas[index].type !== SHARE || replaceGroups) continue;
    // One share alone cannot go: n is part of the group, and the shares left would still be a group of the old polynomial.
    const group = groups.find((g) => g.members.some((m) => m.stanza === index))!;
    throw new SectorCryptError(
      'ERR_ARGUMENT',
      `remove: stanza ${index} is a share of threshold group ${group.groupId}; remove the group (stanza ${group.stanza}) or replace it with threshold`,
    );
  }
  for (const g of groups) {
    if (!replaceGroups && !removed.has(g.stanza)) continue;
    removed.add(g.stanza);
    for (const m of g.members) removed.add(m.stanza);
  }
  return removed;
}

/** header, then the source's bytes from `from` on, into a file renamed to `target` when complete. */
async function writeBeside(target: string, header: Uint8Array, src: Source, from: number): Promise<void> {
  const temp = path.join(path.dirname(target), `.${path.basename(target)}.${randomBytes(6).toString('hex')}.tmp`);
  const file = await open(temp, 'wx', 0o666);
  try {
    await file.write(header);
    for (let position = from; position < src.size; position += COPY_STEP) {
      await file.write(await src.read(position, Math.min(COPY_STEP, src.size - position)));
    }
    await file.sync();
    await file.close();
    await rename(temp, target);
  } catch (err) {
    await file.close().catch(() => {});
    await unlink(temp).catch(() => {});
    throw err;
  }
}

export async function rekeyEnvelope(source: string | Uint8Array, options: RekeyOptions): Promise<Uint8Array | void> {
  const opts = checkObject(options, 'options', [
    'identities',
    'add',
    'remove',
    'threshold',
    'output',
    ...DECRYPT_KEYS,
  ]) as unknown as RekeyOptions & EnvelopeDecryptOptions;
  if (opts.output !== undefined && typeof opts.output !== 'string')
    throw new SectorCryptError('ERR_ARGUMENT', 'output must be a file path');
  const sealers = encryptSealers({ recipients: opts.add ?? [], threshold: opts.threshold }, 0);
  const src = await openSource(source);
  try {
    const { header, payloadStart } = await readSourceHeader(src);
    const removed = removals(opts.remove, header.stanzas, opts.threshold !== undefined);
    const kept = header.stanzas.filter((_, index) => !removed.has(index)).map((s) => s.raw);
    if (kept.length + sealers.length === 0)
      throw new SectorCryptError('ERR_ARGUMENT', 'rekey would leave the envelope without a recipient');
    const groupStanzas = opts.threshold === undefined ? 0 : 1 + opts.threshold.recipients.length;
    if (kept.length + (opts.add?.length ?? 0) + groupStanzas > MAX_STANZAS)
      throw new SectorCryptError('ERR_ARGUMENT', `rekey would give the envelope more than ${MAX_STANZAS} stanzas`);
    const fileKey = await openFileKey(header, { identities: opts.identities, argon2idLimits: opts.argon2idLimits }, payloadStart);
    let newHeader: Uint8Array;
    try {
      newHeader = await sealHeader(fileKey, sealers, kept);
    } finally {
      wipe(fileKey);
    }
    const from = header.bytes.length;
    if (opts.output === undefined && isBytes(source)) {
      const out = new Uint8Array(newHeader.length + source.length - from);
      out.set(newHeader, 0);
      out.set(source.subarray(from), newHeader.length);
      return out;
    }
    const target = path.resolve(opts.output ?? (source as string));
    await writeBeside(target, newHeader, src, from);
  } finally {
    await src.close();
  }
}
