/**
 * The claims as BrokerAgent.load takes them (`claims: () => Promise<object>`): collected
 * afresh for every release request, so a firewall turned off since the last one shows.
 */
import { collectClaims, collectorsFor } from './collect.js';
import type { ClaimsConfig } from './config.js';

/** Checks `config` now (ERR_ARGUMENT at load, not at the first unwrap) and returns the provider. */
export function claimsProvider(config: 'auto' | ClaimsConfig = 'auto'): () => Promise<Record<string, unknown>> {
  collectorsFor(config);
  return async () => (await collectClaims(config)).claims;
}
