/**
 * `sectorcrypt broker policy learn`: the rules a reference host's verified TPM evidence would
 * pass, for an admin to review before putting them in a policy. What changes with updates is
 * an allowlist (`in`, `allIn`) that merges new versions into the old ones, so that a kernel or
 * package update is an allowlist change an admin approves, not a broken boot.
 */
import type { Leaf, Rule, Scalar } from './types.js';

export interface LearnOptions {
  /** sha256 PCRs whose values are pinned (default: 7, Secure Boot's configuration and keys). */
  pcrs?: number[];
  /** Rules learned before (a fragment or a whole policy's rules): their allowlists are kept and extended. */
  merge?: Rule;
}

function union(a: readonly Scalar[], b: readonly Scalar[]): Scalar[] {
  return [...new Set([...a, ...b])];
}

/** The leaves of an earlier fragment, by claim and operator. */
function earlier(rule: Rule | undefined): Map<string, Leaf> {
  const out = new Map<string, Leaf>();
  const walk = (r: Rule) => {
    if ('allOf' in r) r.allOf.forEach(walk);
    else if ('claim' in r) out.set(`${r.claim} ${Object.keys(r).find((k) => k !== 'claim')}`, r);
  };
  if (rule) walk(rule);
  return out;
}

/** `tpm` claims (the object a policy sees under tpm, as `GET /v1/devices/:id/tpm` answers) to rules. */
export function learnTpmRules(tpm: Record<string, unknown>, opts: LearnOptions = {}): Rule {
  if (tpm.verified !== true) throw new Error('the evidence is not verified TPM evidence (tpm.verified is not true)');
  const before = earlier(opts.merge);
  const leaves: Leaf[] = [{ claim: 'tpm.verified', equals: true }];
  if (typeof tpm.secureBoot === 'boolean') leaves.push({ claim: 'tpm.secureBoot', equals: tpm.secureBoot });
  const inList = (claim: string, value: Scalar) => {
    const old = before.get(`${claim} in`) as { in?: Scalar[] } | undefined;
    leaves.push({ claim, in: union(old?.in ?? [], [value]) });
  };
  if (typeof tpm.kernelCmdline === 'string') inList('tpm.kernelCmdline', tpm.kernelCmdline);
  const pcrs = ((tpm.pcrs as { sha256?: Record<string, string> } | undefined)?.sha256 ?? {}) as Record<string, string>;
  for (const n of [...new Set(opts.pcrs ?? [7])].sort((x, y) => x - y)) {
    const v = pcrs[String(n)];
    if (typeof v !== 'string')
      throw new Error(`PCR ${n} was not quoted in this evidence (quoted: ${Object.keys(pcrs).join(', ') || 'none'})`);
    inList(`tpm.pcrs.sha256.${n}`, v);
  }
  const ima = tpm.ima as Record<string, unknown> | undefined;
  if (ima && typeof ima === 'object') {
    const old = (before.get('tpm.ima allIn') as { allIn?: Record<string, Scalar[]> } | undefined)?.allIn;
    const allow: Record<string, Scalar[]> = {};
    for (const [k, v] of Object.entries(old && !Array.isArray(old) ? old : {})) allow[k] = [...v];
    for (const [path, hashes] of Object.entries(ima)) {
      // boot_aggregate (PCRs 0-7 when IMA started) is kept too: allIn wants every measured entry listed.
      if (!Array.isArray(hashes)) continue;
      allow[path] = union(allow[path] ?? [], hashes as Scalar[]);
    }
    if (Object.keys(allow).length) leaves.push({ claim: 'tpm.ima', allIn: allow });
  }
  return { allOf: leaves };
}
