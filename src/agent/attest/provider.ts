/**
 * The JWT attestations as BrokerAgent.load takes them (`attestations: () => Promise<string[]>`).
 * Signed PKCS#7 documents (AWS, Azure) are not JWTs: the release request needs its own field
 * for them (see collectAttestations().documents).
 */
import { collectAttestations, type CollectAttestationsOptions } from './collect.js';

export function attestationsProvider(options: CollectAttestationsOptions): () => Promise<string[]> {
  return async () => (await collectAttestations(options)).attestations;
}
