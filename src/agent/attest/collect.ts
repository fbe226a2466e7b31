/**
 * Cloud identity documents for the release request: the providers asked for, in parallel.
 * JWTs (Google Cloud) go in `attestations`, checked by the broker against the issuer's JWKS;
 * signed PKCS#7 documents (AWS, Azure) go in `documents`, checked by the broker against the
 * provider certificate its admin configures.
 */
import { SectorCryptError } from '../../errors.js';
import { fetchAwsIdentity, type AwsIdentityDocument } from './aws.js';
import { fetchAzureAttested, type AzureAttestedDocument } from './azure.js';
import { fetchGcpIdentityToken } from './gcp.js';
import { metadataBase, type MetadataFetchOptions } from './metadata-http.js';

export type AttestationProvider = 'aws' | 'gcp' | 'azure';

export interface CollectAttestationsOptions extends MetadataFetchOptions {
  providers: AttestationProvider[];
  /** Audience for the Google Cloud token; required with 'gcp'. */
  gcpAudience?: string;
  awsSignature?: 'rsa2048' | 'pkcs7';
  /** Freshness nonce for Azure attested data (digits, at most 10). */
  azureNonce?: string;
}

export interface CollectedAttestations {
  /** Compact JWTs. */
  attestations: string[];
  documents: { aws?: AwsIdentityDocument; azure?: AzureAttestedDocument };
  /** Providers that did not answer, and why (off that cloud, most often). */
  unavailable: { provider: AttestationProvider; reason: string }[];
}

export async function collectAttestations(options: CollectAttestationsOptions): Promise<CollectedAttestations> {
  // A bad test override or nonce is the caller's error, not an unavailable provider.
  metadataBase(options);
  if (options.azureNonce !== undefined && !/^\d{1,10}$/.test(options.azureNonce)) {
    throw new SectorCryptError('ERR_ARGUMENT', 'azureNonce must be 1 to 10 digits');
  }
  const out: CollectedAttestations = { attestations: [], documents: {}, unavailable: [] };
  const jobs = [...new Set(options.providers)].map(async (provider) => {
    try {
      if (provider === 'aws') out.documents.aws = await fetchAwsIdentity({ ...options, signature: options.awsSignature ?? 'rsa2048' });
      else if (provider === 'azure') out.documents.azure = await fetchAzureAttested({ ...options, nonce: options.azureNonce });
      else {
        if (!options.gcpAudience) throw new Error('gcpAudience is required');
        out.attestations.push(await fetchGcpIdentityToken({ ...options, audience: options.gcpAudience }));
      }
    } catch (err) {
      out.unavailable.push({ provider, reason: err instanceof Error ? err.message : String(err) });
    }
  });
  await Promise.all(jobs);
  return out;
}
