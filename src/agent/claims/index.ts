/** Host claims for the agent: identity and integrity facts, each with its source and trust. */
export { collectClaims, collectorsFor, builtInClaimPaths } from './collect.js';
export { claimsProvider } from './provider.js';
export type { CollectedClaims, ClaimSourceReport } from './collect.js';
export { loadClaimsConfig } from './config-file.js';
export { parseClaimsConfig, claimsConfigSchema, BUILT_IN_COLLECTORS, ATTESTATION_PROVIDERS } from './config.js';
export type { ClaimsConfig, AttestationConfig, BuiltInCollector, AttestationProvider } from './config.js';
export { bootTimeCollector, parseBootTime } from './boot-time.js';
export { machineIdCollector } from './machine-id.js';
export { hostnameCollector } from './hostname.js';
export { kernelCollector } from './kernel.js';
export { osReleaseCollector, parseOsRelease } from './os-release.js';
export { firewallCollector, countNftRules, countIptablesRules } from './firewall.js';
export { selfHashCollector, selfHash, selfManifest, findPackageRoot } from './self-hash.js';
export { secureBootCollector } from './secure-boot.js';
export { execCollector, type ExecSpec } from './exec.js';
export type { ClaimSource, ClaimTrust, Collector, CollectResult } from './types.js';
