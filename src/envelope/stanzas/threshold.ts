/**
 * The `threshold` and `share` stanzas (docs/envelope.md "Threshold groups"). A group stanza
 * `-> threshold <group id> <k> <n>` with an empty body declares that the file key was split
 * into n Shamir shares (src/keys/shamir.ts), any k of which give it back. Each share is one
 * `-> share <group id> <index> <where> <type> <args...>` stanza: after the first three
 * arguments comes an ordinary stanza of any other type (its type, its arguments, its body)
 * that wraps the 32-byte share where it would wrap the file key. `<where>` is the https URL
 * of the broker a `broker` member is sealed to, or "-": a hint for routing, covered by the MAC.
 */
import { SectorCryptError } from '../../errors.js';
import type { Stanza } from '../header.js';
import { badStanza, type StanzaFields } from './stanza.js';

export const THRESHOLD = 'threshold';
export const SHARE = 'share';
/** Group ids: 16 random bytes in lower-case hex (safe in a broker resource name). */
export const GROUP_ID = /^[0-9a-f]{32}$/;
const DECIMAL = /^[1-9][0-9]{0,2}$/;
const WHERE = /^(-|https:\/\/[\x21-\x7e]{1,2000})$/;
export const MAX_SHARES = 255;

export interface GroupMember {
  /** The share stanza's index in the header. */
  stanza: number;
  /** The share's x coordinate. */
  index: number;
  /** The broker URL hint, or undefined. */
  where?: string;
  /** The member's own stanza, as an ordinary one (its raw bytes are the share stanza's). */
  inner: Stanza;
}

export interface ThresholdGroup {
  /** The group stanza's index in the header. */
  stanza: number;
  groupId: string;
  k: number;
  n: number;
  members: GroupMember[];
}

function decimal(stanza: Stanza, text: string, what: string): number {
  if (!DECIMAL.test(text) || Number(text) > MAX_SHARES) throw badStanza(stanza, `${what} must be a decimal number from 1 to ${MAX_SHARES}`);
  return Number(text);
}

export function thresholdFields(groupId: string, k: number, n: number): StanzaFields {
  return { type: THRESHOLD, args: [groupId, String(k), String(n)], body: new Uint8Array(0) };
}

export function shareFields(groupId: string, index: number, where: string | undefined, inner: StanzaFields): StanzaFields {
  return { type: SHARE, args: [groupId, String(index), where ?? '-', inner.type, ...inner.args], body: inner.body };
}

/**
 * Every group of the header with its members, checked as a whole (ERR_CORRUPT_HEADER): known
 * group ids, unique within the header; 1 <= k <= n; exactly n members with distinct indexes;
 * no group nested in a share. The members' own stanzas are checked by the caller's shapes.
 */
export function thresholdGroups(stanzas: readonly Stanza[]): ThresholdGroup[] {
  const groups = new Map<string, ThresholdGroup>();
  stanzas.forEach((s, i) => {
    if (s.type !== THRESHOLD) return;
    if (s.args.length !== 3) throw badStanza(s, `expected 3 argument(s), found ${s.args.length}`);
    if (s.body.length !== 0) throw badStanza(s, 'body must be empty');
    const [groupId, kText, nText] = s.args;
    if (!GROUP_ID.test(groupId)) throw badStanza(s, 'group id must be 32 lower-case hex digits');
    if (groups.has(groupId)) throw badStanza(s, `group ${groupId} is declared twice`);
    const k = decimal(s, kText, 'k');
    const n = decimal(s, nText, 'n');
    if (k > n) throw badStanza(s, `k (${k}) is larger than n (${n})`);
    groups.set(groupId, { stanza: i, groupId, k, n, members: [] });
  });
  stanzas.forEach((s, i) => {
    if (s.type !== SHARE) return;
    if (s.args.length < 4) throw badStanza(s, `expected at least 4 arguments, found ${s.args.length}`);
    const [groupId, indexText, where, type, ...args] = s.args;
    const group = groups.get(groupId);
    if (!group) throw badStanza(s, `no threshold stanza declares group ${groupId}`);
    const index = decimal(s, indexText, 'the share index');
    if (group.members.some((m) => m.index === index)) throw badStanza(s, `share ${index} of group ${groupId} appears twice`);
    if (!WHERE.test(where)) throw badStanza(s, 'the broker hint must be "-" or an https:// URL');
    if (type === THRESHOLD || type === SHARE) throw badStanza(s, 'a share cannot hold another group');
    group.members.push({
      stanza: i,
      index,
      ...(where === '-' ? {} : { where }),
      inner: { type, args, body: s.body, raw: s.raw },
    });
  });
  for (const g of groups.values()) {
    if (g.members.length !== g.n) {
      throw new SectorCryptError(
        'ERR_CORRUPT_HEADER',
        `malformed threshold stanza: group ${g.groupId} declares ${g.n} shares, the header has ${g.members.length}`,
      );
    }
  }
  return [...groups.values()];
}

/**
 * The resource a broker member's release names: the envelope's, then ".share.<k>-of-<n>.<group
 * id>.<index>", so the broker's policy and audit log see that it releases a share, of which group.
 */
export function shareResource(resource: string, group: { groupId: string; k: number; n: number }, index: number): string {
  return `${resource}.share.${group.k}-of-${group.n}.${group.groupId}.${index}`;
}
