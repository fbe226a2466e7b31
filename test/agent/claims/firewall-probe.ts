/**
 * Run by firewall.test.ts inside `unshare -n` (a fresh network namespace, so the host's rule
 * set is never touched): loads the rules given, then prints the firewall collector's result.
 *   firewall-probe.ts nft FILE          load FILE with `nft -f`
 *   firewall-probe.ts iptables ARG...   one `iptables ARG...` rule
 *   firewall-probe.ts none              load nothing
 */
import { spawnSync } from 'node:child_process';
import { firewallCollector } from '../../../src/agent/claims/firewall.js';

const [mode, ...args] = process.argv.slice(2);
const load = mode === 'nft' ? ['nft', '-f', args[0]!] : mode === 'iptables' ? ['iptables', ...args] : undefined;
if (load) {
  const run = spawnSync(load[0]!, load.slice(1), { encoding: 'utf8' });
  if (run.status !== 0) {
    process.stdout.write(JSON.stringify({ loadFailed: `${load.join(' ')}: ${run.stderr || run.error?.message}` }));
    process.exit(0);
  }
}
process.stdout.write(JSON.stringify(await firewallCollector().collect()));
