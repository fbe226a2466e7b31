/** The `cidr` operator: IPv4 and IPv6 prefixes, through node's BlockList. */
import { BlockList, isIP } from './net.js';

const MAX_PREFIX = { 4: 32, 6: 128 } as const;

/** Parses "10.66.0.0/16" or "2001:db8::/32"; null when malformed. */
export function parseCidr(text: string): { address: string; prefix: number; family: 4 | 6 } | null {
  const m = /^([0-9A-Fa-f:.]+)\/(\d{1,3})$/.exec(text);
  if (!m) return null;
  const family = isIP(m[1]!);
  if (family !== 4 && family !== 6) return null;
  const prefix = Number(m[2]);
  if (prefix > MAX_PREFIX[family]) return null;
  return { address: m[1]!, prefix, family };
}

const lists = new Map<string, BlockList>();

function listOf(cidr: string): BlockList | null {
  let list = lists.get(cidr);
  if (list) return list;
  const parsed = parseCidr(cidr);
  if (!parsed) return null;
  list = new BlockList();
  list.addSubnet(parsed.address, parsed.prefix, parsed.family === 4 ? 'ipv4' : 'ipv6');
  if (lists.size < 1024) lists.set(cidr, list);
  return list;
}

/**
 * True when `ip` lies in `cidr`. An IPv4-mapped IPv6 address ("::ffff:10.66.1.2", what a
 * dual-stack socket reports) matches the IPv4 prefix, as BlockList checks both forms.
 */
export function inCidr(ip: unknown, cidr: string): boolean {
  if (typeof ip !== 'string' || ip.includes('%')) return false; // no zone ids
  const family = isIP(ip);
  if (family === 0) return false;
  const list = listOf(cidr);
  if (!list) return false;
  try {
    return list.check(ip, family === 4 ? 'ipv4' : 'ipv6');
  } catch {
    return false;
  }
}
