/**
 * Addresses the broker must not be sent to by a tenant's configuration (a jwksUri): loopback,
 * private, link-local, unspecified and the other special-purpose ranges of the IANA IPv4 and
 * IPv6 Special-Purpose Address Registries (RFC 6890), and IPv6 forms that embed an IPv4
 * address (mapped, compatible, NAT64, 6to4), judged by the address they embed.
 */
import { BlockList, isIPv4, isIPv6 } from 'node:net';

const V4: [string, number, string][] = [
  ['0.0.0.0', 8, 'unspecified ("this network")'],
  ['10.0.0.0', 8, 'private'],
  ['100.64.0.0', 10, 'shared (carrier-grade NAT)'],
  ['127.0.0.0', 8, 'loopback'],
  ['169.254.0.0', 16, 'link-local'],
  ['172.16.0.0', 12, 'private'],
  ['192.0.0.0', 24, 'IETF protocol assignments'],
  ['192.0.2.0', 24, 'documentation'],
  ['192.88.99.0', 24, '6to4 relay anycast'],
  ['192.168.0.0', 16, 'private'],
  ['198.18.0.0', 15, 'benchmarking'],
  ['198.51.100.0', 24, 'documentation'],
  ['203.0.113.0', 24, 'documentation'],
  ['224.0.0.0', 4, 'multicast'],
  ['240.0.0.0', 4, 'reserved'],
];
const v4Lists = V4.map(([net, prefix, what]) => {
  const list = new BlockList();
  list.addSubnet(net, prefix, 'ipv4');
  return { list, what };
});

// [prefix as a 128-bit number, prefix length, what]
const V6: [bigint, number, string][] = [
  [0n, 128, 'unspecified'],
  [1n, 128, 'loopback'],
  [0x0100n << 112n, 64, 'discard-only'],
  [0x0064ff9b0001n << 80n, 48, 'local-use NAT64'],
  [0x2001n << 112n, 32, 'Teredo'],
  [0x20010db8n << 96n, 32, 'documentation'],
  [0x2001n << 112n, 23, 'IETF protocol assignments'],
  [0xfc00n << 112n, 7, 'unique local (private)'],
  [0xfe80n << 112n, 10, 'link-local'],
  [0xfec0n << 112n, 10, 'site-local'],
  [0xff00n << 112n, 8, 'multicast'],
];

function v6Value(address: string): bigint {
  let text = address.toLowerCase().split('%')[0]!;
  const dotted = text.match(/^(.*:)(\d+\.\d+\.\d+\.\d+)$/);
  if (dotted) {
    const [a, b, c, d] = dotted[2]!.split('.').map(Number) as [number, number, number, number];
    text = `${dotted[1]}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.includes('::') ? text.split('::') : [text, undefined];
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups = tail === undefined ? left : [...left, ...Array(8 - left.length - right.length).fill('0'), ...right];
  return groups.reduce((v, g) => (v << 16n) | BigInt(parseInt(g || '0', 16)), 0n);
}

function v4Text(v: bigint): string {
  return [24n, 16n, 8n, 0n].map((s) => Number((v >> s) & 0xffn)).join('.');
}

const inPrefix = (v: bigint, prefix: bigint, bits: number) => bits === 0 || v >> BigInt(128 - bits) === prefix >> BigInt(128 - bits);

/** What special range `address` (an IP address, IPv6 with or without brackets) is in; undefined for a public one. */
export function specialRange(address: string): string | undefined {
  const ip = address.replace(/^\[(.*)\]$/, '$1');
  if (isIPv4(ip)) return v4Lists.find((r) => r.list.check(ip, 'ipv4'))?.what;
  if (!isIPv6(ip)) return 'not an IP address';
  const v = v6Value(ip);
  const embedded = (at: number) => {
    const inner = specialRange(v4Text((v >> BigInt(at)) & 0xffffffffn));
    return inner && `${inner} (embedded IPv4)`;
  };
  if (inPrefix(v, 0xffffn << 32n, 96)) return embedded(0); // ::ffff:a.b.c.d, IPv4-mapped
  if (inPrefix(v, 0x0064ff9bn << 96n, 96)) return embedded(0); // 64:ff9b::a.b.c.d, NAT64
  if (inPrefix(v, 0x2002n << 112n, 16)) return embedded(80); // 2002:aabb:ccdd::, 6to4
  const fixed = V6.find(([prefix, bits]) => inPrefix(v, prefix, bits));
  if (fixed) return fixed[2];
  if (inPrefix(v, 0n, 96)) return 'IPv4-compatible (deprecated)'; // ::a.b.c.d
  return undefined;
}

/** Host names that mean this machine whatever DNS says (RFC 6761 section 6.3). */
export function isLocalhostName(host: string): boolean {
  const h = host.toLowerCase().replace(/\.$/, '');
  return h === 'localhost' || h.endsWith('.localhost');
}
