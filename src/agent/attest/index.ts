/** Cloud instance identity documents, fetched from the link-local metadata service. */
export { collectAttestations } from './collect.js';
export { attestationsProvider } from './provider.js';
export type { CollectAttestationsOptions, CollectedAttestations, AttestationProvider } from './collect.js';
export { fetchAwsIdentity, type AwsIdentityDocument } from './aws.js';
export { fetchGcpIdentityToken } from './gcp.js';
export { fetchAzureAttested, type AzureAttestedDocument } from './azure.js';
export { METADATA_BASE_URL, METADATA_TIMEOUTS, type MetadataFetchOptions } from './metadata-http.js';
