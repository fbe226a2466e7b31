/**
 * Threshold groups (docs/envelope.md "Threshold groups"): writing one (the file key split with
 * Shamir's scheme, each share sealed to one member) and opening one (every member asked at
 * once, done at k shares, the file key rebuilt and checked by the header MAC by the caller).
 * Shares are wiped as soon as they are combined or no longer needed, and never logged.
 */
import { randomBytes } from 'node:crypto';
import { wipe } from '../bytes.js';
import { SectorCryptError } from '../errors.js';
import { splitSecret } from '../keys/shamir.js';
import { classifyFailure, gatherShares, type ShareFailure } from '../keys/share-collect.js';
import { FILE_KEY_BYTES } from './format.js';
import { encodeStanza } from './header.js';
import type { OpenContext, Opener } from './identities.js';
import { checkList, checkObject } from './options.js';
import { toFieldSealer, type Recipient, type Sealer } from './recipients.js';
import { BROKER, type BrokerKey } from './stanzas/broker.js';
import { MAX_SHARES, shareFields, shareResource, thresholdFields, type GroupMember, type ThresholdGroup } from './stanzas/threshold.js';

/** A threshold group to write: any `k` of `recipients` open the envelope. */
export interface ThresholdOptions {
  k: number;
  /** Any recipient; a `broker` one may add `url` (its broker, kept as a routing hint). */
  recipients: (Recipient | { broker: BrokerKey & { url?: string } })[];
}

const URL_HINT = /^https:\/\/[\x21-\x7e]{1,2000}$/;

/** A group checked now: its sealer writes the group stanza and its n share stanzas. */
export function toGroupSealer(threshold: unknown): { seal: Sealer; stanzas: number } {
  const t = checkObject(threshold, 'threshold', ['k', 'recipients']);
  const list = checkList<unknown>(t.recipients, 'threshold recipients', 1);
  if (list.length > MAX_SHARES) throw new SectorCryptError('ERR_ARGUMENT', `a threshold group has at most ${MAX_SHARES} members`);
  const k = t.k;
  if (typeof k !== 'number' || !Number.isInteger(k) || k < 1 || k > list.length) {
    throw new SectorCryptError('ERR_ARGUMENT', `threshold k must be a whole number from 1 to the number of members (${list.length})`);
  }
  const members = list.map((r) => {
    const given = (r as { broker?: { url?: unknown } })?.broker?.url;
    const url = typeof given === 'string' ? given.replace(/\/+$/, '') : given;
    if (url !== undefined && (typeof url !== 'string' || !URL_HINT.test(url)))
      throw new SectorCryptError('ERR_ARGUMENT', 'a broker member url must be https://... without spaces');
    return { seal: toFieldSealer(r, true), where: url as string | undefined };
  });
  const seal: Sealer = async (fileKey) => {
    const groupId = randomBytes(16).toString('hex');
    const shares = splitSecret(
      fileKey,
      k,
      members.map((_, i) => i + 1),
    );
    try {
      const fields = await Promise.all(members.map((m, i) => m.seal(shares[i].value)));
      const stanzas = [
        encodeStanza(...fieldsOf(thresholdFields(groupId, k, members.length))),
        ...fields.map((f, i) => encodeStanza(...fieldsOf(shareFields(groupId, i + 1, members[i].where, f)))),
      ];
      return new Uint8Array(Buffer.concat(stanzas));
    } finally {
      for (const s of shares) wipe(s.value);
    }
  };
  return { seal, stanzas: 1 + members.length };
}

function fieldsOf(f: { type: string; args: string[]; body: Uint8Array }): [string, string[], Uint8Array] {
  return [f.type, f.args, f.body];
}

/** Why one member gave no share. */
export interface MemberFailure extends ShareFailure {
  /** The share stanza's index in the header. */
  stanza: number;
  index: number;
  member: string;
}

export type GroupOutcome = { fileKey: Uint8Array } | { failures: MemberFailure[]; obtained: number };

function memberName(m: GroupMember): string {
  const t = m.inner;
  const what = t.type === BROKER && t.args.length >= 2 ? `broker key ${t.args[0]}/${t.args[1]}` : t.type;
  return `share ${m.index} (${what}${m.where ? ` at ${m.where}` : ''})`;
}

const sameUrl = (a: string, b: string) => a.replace(/\/+$/, '') === b.replace(/\/+$/, '');

/**
 * The openers that may open this member: those of its type; for a broker member naming its
 * broker, only the identities of that broker and those that do not say which broker they ask
 * (another broker is never asked about a key it does not hold, nor told of the envelope).
 */
export function memberOpeners(m: GroupMember, openers: readonly Opener[]): Opener[] {
  return openers.filter((o) => o.type === m.inner.type && (m.where === undefined || o.url === undefined || sameUrl(o.url, m.where)));
}

function failure(m: GroupMember, err: unknown): MemberFailure {
  return { stanza: m.stanza, index: m.index, member: memberName(m), ...classifyFailure(err) };
}

async function openMember(
  m: GroupMember,
  group: ThresholdGroup,
  openers: readonly Opener[],
  context: OpenContext,
): Promise<Uint8Array | MemberFailure> {
  const candidates = memberOpeners(m, openers);
  const resource = context.resource === undefined ? undefined : shareResource(context.resource, group, m.index);
  let last: unknown;
  for (const opener of candidates) {
    try {
      const share = await opener.open(m.inner, { ...context, resource });
      if (share === undefined) continue;
      if (share.length !== FILE_KEY_BYTES) {
        wipe(share);
        throw new SectorCryptError('ERR_AUTH', `a share opened to ${share.length} bytes, not ${FILE_KEY_BYTES}`);
      }
      return share;
    } catch (err) {
      last = err;
    }
  }
  if (last !== undefined) return failure(m, last);
  const why = candidates.length === 0 ? 'no identity given for it' : 'no identity given opens it';
  return { stanza: m.stanza, index: m.index, member: memberName(m), reason: 'no-identity', message: why };
}

/**
 * Asks every member at once and rebuilds the file key from the first k shares that arrive
 * (the caller checks it against the header MAC). Answers that arrive later are wiped unread.
 * With fewer than k shares once every member answered: each member's failure.
 */
export async function openGroup(group: ThresholdGroup, openers: readonly Opener[], context: OpenContext): Promise<GroupOutcome> {
  const outcome = await gatherShares(group.members, group.k, (m) => openMember(m, group, openers, context));
  return 'secret' in outcome ? { fileKey: outcome.secret } : outcome;
}

/** ERR_THRESHOLD: one error naming every member that gave no share, and why. */
export function thresholdError(group: ThresholdGroup, failures: MemberFailure[], obtained: number): SectorCryptError {
  const lines = failures.map((f) => `${f.member}: ${f.message}`);
  return Object.assign(
    new SectorCryptError(
      'ERR_THRESHOLD',
      `threshold group ${group.groupId} needs ${group.k} of ${group.n} shares and got ${obtained}; ${lines.join('; ')}`,
    ),
    { groupId: group.groupId, k: group.k, n: group.n, obtained, members: failures },
  );
}
