/** Runs the chosen collectors in parallel and gathers their claims, sources and failures. */
import { SectorCryptError } from '../../errors.js';
import { bootTimeCollector } from './boot-time.js';
import { BUILT_IN_COLLECTORS, parseClaimsConfig, type BuiltInCollector, type ClaimsConfig } from './config.js';
import { execCollector } from './exec.js';
import { firewallCollector } from './firewall.js';
import { hostnameCollector } from './hostname.js';
import { kernelCollector } from './kernel.js';
import { machineIdCollector } from './machine-id.js';
import { osReleaseCollector } from './os-release.js';
import { secureBootCollector } from './secure-boot.js';
import { selfHashCollector } from './self-hash.js';
import { reasonOf, type ClaimSource, type Collector } from './types.js';

const FACTORIES: Record<BuiltInCollector, () => Collector> = {
  bootTime: () => bootTimeCollector(),
  machineId: () => machineIdCollector(),
  hostname: () => hostnameCollector(),
  kernel: () => kernelCollector(),
  os: () => osReleaseCollector(),
  firewall: () => firewallCollector(),
  selfHash: () => selfHashCollector(),
  secureBoot: () => secureBootCollector(),
};

/** Every claim path a built-in collector can report (an exec command may not shadow one). */
export function builtInClaimPaths(): string[] {
  return BUILT_IN_COLLECTORS.flatMap((name) => FACTORIES[name]().sources.map((s) => s.claim));
}

export interface ClaimSourceReport extends ClaimSource {
  collector: string;
  /** What the collector saw (e.g. "nft: 3 rules"), where it says. */
  detail?: string;
}

export interface CollectedClaims {
  /** Nested as a policy reads them: `{ identity: { bootTime }, integrity: { firewall } }`. */
  claims: Record<string, unknown>;
  /** One entry per claim obtained. */
  sources: ClaimSourceReport[];
  /** One entry per collector that could not answer, with the claims it would have given. */
  unavailable: { collector: string; claims: string[]; reason: string }[];
}

/** Sets `a.b.c` in a nested object. */
function setPath(target: Record<string, unknown>, dotted: string, value: unknown): void {
  const keys = dotted.split('.');
  let node = target;
  for (const key of keys.slice(0, -1)) {
    const next = node[key];
    node = (next !== null && typeof next === 'object' ? next : (node[key] = {})) as Record<string, unknown>;
  }
  node[keys[keys.length - 1]!] = value;
}

/** The collectors a config selects; 'auto' is every built-in one and no exec command. */
export function collectorsFor(input: 'auto' | ClaimsConfig | unknown): Collector[] {
  const config = parseClaimsConfig(input);
  const names = !config.collectors || config.collectors === 'auto' ? BUILT_IN_COLLECTORS : config.collectors;
  const builtInPaths = new Set(builtInClaimPaths());
  for (const spec of config.exec ?? []) {
    if (builtInPaths.has(spec.claim))
      throw new SectorCryptError('ERR_ARGUMENT', `claims config /exec: "${spec.claim}" is a built-in claim`);
  }
  return [...new Set(names)].map((name) => FACTORIES[name]()).concat((config.exec ?? []).map(execCollector));
}

/** Runs the collectors of `config` (default 'auto') in parallel. Never throws for a collector's failure. */
export async function collectClaims(
  config: 'auto' | ClaimsConfig | unknown = 'auto',
  collectors = collectorsFor(config),
): Promise<CollectedClaims> {
  const results = await Promise.all(
    collectors.map((c) => c.collect().catch((err: unknown) => ({ unavailable: `failed: ${reasonOf(err)}` }))),
  );
  const out: CollectedClaims = { claims: {}, sources: [], unavailable: [] };
  results.forEach((result, i) => {
    const collector = collectors[i]!;
    if ('unavailable' in result) {
      out.unavailable.push({ collector: collector.name, claims: collector.sources.map((s) => s.claim), reason: result.unavailable });
      return;
    }
    for (const [claim, value] of Object.entries(result.claims)) {
      setPath(out.claims, claim, value);
      const source = collector.sources.find((s) => s.claim === claim) ?? { claim, source: collector.name, trust: 'agent' as const };
      out.sources.push({ ...source, collector: collector.name, ...(result.detail ? { detail: result.detail } : {}) });
    }
  });
  return out;
}
