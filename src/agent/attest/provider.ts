/**
 * The JWT attestations as BrokerAgent.load takes them (`attestations: () => Promise<string[]>`).
 * Signed PKCS#7 documents (AWS, Azure) are not JWTs: they go in the release request's
 * `documents` (BrokerAgent.load's `documents`, or a claims config's `attestations`, which
 * sends both).
 */
import { collectAttestations, type CollectAttestationsOptions } from './collect.js';

export function attestationsProvider(options: CollectAttestationsOptions): () => Promise<string[]> {
  return async () => (await collectAttestations(options)).attestations;
}
