/**
 * integrity.firewall: true when the kernel holds a packet filter rule set that is not empty.
 * Asks the real tools: `nft list ruleset` first (nftables), then `iptables-save` (which also
 * reads the nf_tables backend of iptables-nft). Neither tool, or neither allowed to read
 * (not root / no CAP_NET_ADMIN): unavailable, never false.
 */
import { firstLine, runProgram } from './run.js';
import type { Collector, CollectResult } from './types.js';

const LIMITS = { timeoutMs: 5000, maxOutputBytes: 8 * 1024 * 1024 };

/** Rules in `nft list ruleset` output: lines inside a chain that are not its header or policy. */
export function countNftRules(text: string): number {
  let rules = 0;
  let inChain = false;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (/^chain\s/.test(line)) inChain = true;
    else if (line === '}') inChain = false;
    else if (inChain && line && !/^(type|policy)\s/.test(line) && !line.startsWith('#')) rules++;
  }
  return rules;
}

/** Rules in `iptables-save` output: its `-A chain ...` lines. */
export function countIptablesRules(text: string): number {
  return text.split('\n').filter((line) => line.startsWith('-A ')).length;
}

export function firewallCollector(): Collector {
  return {
    name: 'firewall',
    sources: [{ claim: 'integrity.firewall', source: '`nft list ruleset`, else `iptables-save`', trust: 'agent' }],
    async collect(): Promise<CollectResult> {
      const reasons: string[] = [];
      const nft = await runProgram(['nft', 'list', 'ruleset'], LIMITS);
      if (nft.ok && nft.exitCode === 0) {
        const rules = countNftRules(nft.stdout.toString('utf8'));
        if (rules > 0) return { claims: { 'integrity.firewall': true }, detail: `nft: ${rules} rules` };
        reasons.push('nft: empty rule set');
      } else {
        reasons.push(`nft: ${nft.ok ? `exit ${nft.exitCode}: ${firstLine(nft.stderr)}` : nft.reason}`);
      }
      // nftables may be empty while legacy iptables holds the rules (or nft may be missing).
      const ipt = await runProgram(['iptables-save'], LIMITS);
      if (ipt.ok && ipt.exitCode === 0) {
        const rules = countIptablesRules(ipt.stdout.toString('utf8'));
        if (rules > 0) return { claims: { 'integrity.firewall': true }, detail: `iptables-save: ${rules} rules` };
        reasons.push('iptables-save: no rules');
      } else {
        reasons.push(`iptables-save: ${ipt.ok ? `exit ${ipt.exitCode}: ${firstLine(ipt.stderr)}` : ipt.reason}`);
      }
      // At least one tool read an empty rule set: a real "no firewall", not a blind spot.
      if (reasons.some((r) => r.endsWith('empty rule set') || r.endsWith('no rules'))) {
        return { claims: { 'integrity.firewall': false }, detail: reasons.join('; ') };
      }
      return { unavailable: reasons.join('; ') };
    },
  };
}
