/** sectorcrypt/agent: enroll with a key broker and ask it for keys. No server code in here. */
export { BrokerAgent } from './broker-agent.js';
export type { AgentEnrollOptions, AgentLoadOptions, CloudDocuments, SealedSecret, UnwrapOptions } from './broker-agent.js';
// What the agent reports: host claims and cloud attestations.
export * from './claims/index.js';
export {
  collectAttestations,
  attestationsProvider,
  fetchAwsIdentity,
  fetchGcpIdentityToken,
  fetchAzureAttested,
  METADATA_BASE_URL,
  METADATA_TIMEOUTS,
} from './attest/index.js';
export type {
  CollectAttestationsOptions,
  CollectedAttestations,
  AwsIdentityDocument,
  AzureAttestedDocument,
  MetadataFetchOptions,
} from './attest/index.js';
