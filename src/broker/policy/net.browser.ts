/**
 * net.ts for the console's browser bundle: isIP in plain TypeScript, answering as node's
 * does for what parseCidr passes it (no zone ids; test/broker/policy/net-browser.test.ts
 * compares the two). BlockList is not needed to validate a policy, only to evaluate one.
 */
const OCTET = '(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9][0-9]|[0-9])';
const IPV4 = new RegExp(`^${OCTET}(?:\\.${OCTET}){3}$`);
const GROUP = /^[0-9A-Fa-f]{1,4}$/;

function isIPv6(text: string): boolean {
  let groups = text;
  let extra = 0; // an embedded IPv4 address at the end counts as two groups
  const lastColon = text.lastIndexOf(':');
  if (lastColon >= 0 && text.slice(lastColon + 1).includes('.')) {
    if (!IPV4.test(text.slice(lastColon + 1))) return false;
    groups = `${text.slice(0, lastColon + 1)}0`;
    extra = 1;
  }
  const halves = groups.split('::');
  if (halves.length > 2) return false;
  const parts = halves.map((h) => (h === '' ? [] : h.split(':')));
  if (parts.some((list) => list.some((g) => !GROUP.test(g)))) return false;
  const count = parts.reduce((n, list) => n + list.length, 0) + extra;
  return halves.length === 2 ? count <= 7 : count === 8;
}

export function isIP(text: string): 0 | 4 | 6 {
  if (IPV4.test(text)) return 4;
  return isIPv6(text) ? 6 : 0;
}

export class BlockList {
  constructor() {
    throw new Error('BlockList is not available in the browser');
  }
  addSubnet(_address: string, _prefix: number, _family: 'ipv4' | 'ipv6'): void {}
  check(_address: string, _family: 'ipv4' | 'ipv6'): boolean {
    return false;
  }
}
