/**
 * `sectorcrypt agent claims [--json] [--claims FILE]`: what this host would report to
 * the broker, each claim with its source and trust, and what could not be read and why.
 * Cloud attestations are fetched only when the config names providers.
 */
import { Option, type Command } from 'commander';
import { collectAttestations, type CollectedAttestations } from '../agent/attest/index.js';
import { collectClaims, loadClaimsConfig, type ClaimsConfig } from '../agent/claims/index.js';

/** A claim value for one line of text. */
const show = (value: unknown) => (typeof value === 'string' ? value : JSON.stringify(value));

function valueAt(claims: Record<string, unknown>, dotted: string): unknown {
  return dotted.split('.').reduce<unknown>((node, key) => (node as Record<string, unknown> | undefined)?.[key], claims);
}

export function registerAgentClaims(agent: Command): void {
  agent
    .command('claims')
    .description("print this host's claims (identity, integrity), each with its source")
    .option('--json', 'print one JSON object: {claims, sources, unavailable[, attestations]}')
    .option('--claims <file>', 'a claims config: collectors, exec commands and cloud attestations (default: every built-in collector)')
    // The flag's earlier name; decrypt and volume unlock always said --claims.
    .addOption(new Option('--claims-config <file>').hideHelp())
    .action(async (opts: { json?: boolean; claims?: string; claimsConfig?: string }) => {
      const file = opts.claims ?? opts.claimsConfig;
      const config: ClaimsConfig = file ? await loadClaimsConfig(file) : { collectors: 'auto' };
      const [collected, attested] = await Promise.all([
        collectClaims(config),
        config.attestations ? collectAttestations(config.attestations) : Promise.resolve(undefined),
      ]);
      if (opts.json) {
        const out = attested ? { ...collected, attestations: attested } : collected;
        process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
        return;
      }
      const width = Math.max(...collected.sources.map((s) => s.claim.length), 5);
      for (const s of collected.sources) {
        const detail = s.detail ? ` (${s.detail})` : '';
        process.stdout.write(
          `${s.claim.padEnd(width)}  ${show(valueAt(collected.claims, s.claim))}\n${''.padEnd(width)}    from ${s.source}${detail}, trust: ${s.trust}\n`,
        );
      }
      for (const u of collected.unavailable) process.stdout.write(`${u.claims.join(', ')}: unavailable: ${u.reason}\n`);
      if (attested) printAttestations(attested);
    });
}

function printAttestations(attested: CollectedAttestations): void {
  for (const jwt of attested.attestations) process.stdout.write(`attestation JWT: ${jwt.slice(0, 24)}... (${jwt.length} characters)\n`);
  if (attested.documents.aws) process.stdout.write(`aws identity document: signed PKCS#7 (${attested.documents.aws.signature})\n`);
  if (attested.documents.azure) process.stdout.write('azure attested data: signed PKCS#7\n');
  for (const u of attested.unavailable) process.stdout.write(`${u.provider} attestation: unavailable: ${u.reason}\n`);
}
