/**
 * Run by firewall.test.ts inside `unshare -n` (a fresh network namespace, so the host's rule
 * set is never touched): loads the rules given, then prints the firewall collector's result.
 * Plain JavaScript, so that it runs on the test run's build of the sources (test/entry.ts).
 *   firewall-probe.mjs MODULE nft FILE          load FILE with `nft -f`
 *   firewall-probe.mjs MODULE iptables ARG...   one `iptables ARG...` rule
 *   firewall-probe.mjs MODULE none              load nothing
 * MODULE is the file of src/agent/claims/firewall to import.
 */
import { spawnSync } from 'node:child_process';
import { pathToFileURL } from 'node:url';

const [collectorFile, mode, ...args] = process.argv.slice(2);
const { firewallCollector } = await import(pathToFileURL(collectorFile).href);
const load = mode === 'nft' ? ['nft', '-f', args[0]] : mode === 'iptables' ? ['iptables', ...args] : undefined;
if (load) {
  const run = spawnSync(load[0], load.slice(1), { encoding: 'utf8' });
  if (run.status !== 0) {
    process.stdout.write(JSON.stringify({ loadFailed: `${load.join(' ')}: ${run.stderr || run.error?.message}` }));
    process.exit(0);
  }
}
process.stdout.write(JSON.stringify(await firewallCollector().collect()));
