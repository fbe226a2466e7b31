/**
 * integrity.firewall through the real nft / iptables programs, each case in a new network
 * namespace (`unshare -n`) so the host's own rules are neither read nor changed. Where the
 * programs or namespaces are missing (not root, no CAP_SYS_ADMIN) the block is skipped with
 * the reason.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { countIptablesRules, countNftRules } from '../../../src/agent/claims/index.js';
import { describeWithTool } from '../../tools.js';
import { CHILD_IMPORT, sourceFile } from '../../entry.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..', '..', '..');
const dir = mkdtempSync(path.join(tmpdir(), 'sectorcrypt-firewall-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const has = (program: string) =>
  spawnSync('sh', ['-c', `command -v ${program}`], { env: { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' } })
    .status === 0;

/** Why the namespace cases cannot run here, or undefined. */
function missing(): string | undefined {
  if (!has('nft')) return 'nft is not installed (apt-get install nftables)';
  if (!has('iptables')) return 'iptables is not installed (apt-get install iptables)';
  const probe = spawnSync('unshare', ['-n', 'nft', 'list', 'ruleset'], { encoding: 'utf8' });
  if (probe.status !== 0) return `unshare -n with nft does not work here: ${(probe.stderr || probe.error?.message || '').trim()}`;
  return undefined;
}

/** The collector's result in a fresh network namespace after loading `load`. */
function inNamespace(...load: string[]): unknown {
  const run = spawnSync(
    'unshare',
    ['-n', '--', process.execPath, ...CHILD_IMPORT, path.join(here, 'firewall-probe.mjs'), sourceFile('agent/claims/firewall'), ...load],
    {
      cwd: root,
      encoding: 'utf8',
    },
  );
  if (run.status !== 0) throw new Error(`probe failed: ${run.stderr}`);
  return JSON.parse(run.stdout);
}

describe('rule counting', () => {
  it('counts rules inside nft chains, not headers, policies or sets', () => {
    const text = [
      'table inet filter {',
      '\tset blocked {',
      '\t\ttype ipv4_addr',
      '\t\telements = { 10.0.0.1 }',
      '\t}',
      '\tchain input {',
      '\t\ttype filter hook input priority filter; policy drop;',
      '\t\tct state established accept',
      '\t\ttcp dport 22 accept',
      '\t}',
      '}',
    ].join('\n');
    expect(countNftRules(text)).toBe(2);
    expect(countNftRules('table inet t {\n\tchain c {\n\t\ttype filter hook input priority filter; policy accept;\n\t}\n}\n')).toBe(0);
    expect(countNftRules('')).toBe(0);
  });

  it('counts -A lines of iptables-save', () => {
    expect(countIptablesRules('*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -p tcp --dport 22 -j ACCEPT\nCOMMIT\n')).toBe(1);
    expect(countIptablesRules('*filter\n:INPUT ACCEPT [0:0]\nCOMMIT\n')).toBe(0);
  });
});

describeWithTool('nft', missing(), 'integrity.firewall in a new network namespace', () => {
  it('is false when no rule set is loaded', () => {
    const result = inNamespace('none') as { claims: Record<string, unknown>; detail: string };
    expect(result.claims).toEqual({ 'integrity.firewall': false });
    expect(result.detail).toContain('nft: empty rule set');
  });

  it('is false for tables and chains without a rule', () => {
    const rules = path.join(dir, 'empty.nft');
    writeFileSync(rules, 'table inet t {\n  chain input {\n    type filter hook input priority 0; policy accept;\n  }\n}\n');
    expect(inNamespace('nft', rules)).toMatchObject({ claims: { 'integrity.firewall': false } });
  });

  it('is true once an nftables rule set is loaded', () => {
    const rules = path.join(dir, 'rules.nft');
    writeFileSync(
      rules,
      'table inet t {\n  chain input {\n    type filter hook input priority 0; policy drop;\n    ct state established accept\n    tcp dport 22 accept\n  }\n}\n',
    );
    expect(inNamespace('nft', rules)).toEqual({ claims: { 'integrity.firewall': true }, detail: 'nft: 2 rules' });
  });

  it('is true with a rule added through iptables', () => {
    const result = inNamespace('iptables', '-A', 'INPUT', '-p', 'tcp', '--dport', '22', '-j', 'ACCEPT') as {
      claims: unknown;
      detail: string;
    };
    expect(result.claims).toEqual({ 'integrity.firewall': true });
    // iptables-nft writes into nf_tables, so nft sees the rule first; legacy iptables only the second tool.
    expect(result.detail).toMatch(/^(nft|iptables-save): 1 rules$/);
  });
});
