/**
 * Azure: IMDS attested data, `{"encoding":"pkcs7","signature":"<base64 DER>"}`, a PKCS#7
 * SignedData whose content is a JSON object (vmId, subscriptionId, sku, nonce, timeStamp...)
 * signed by Azure's metadata certificate. A nonce (10 digits at most, per Azure's docs)
 * lets the broker see that the document is fresh.
 */
import { SectorCryptError } from '../../errors.js';
import { metadataGet, type MetadataFetchOptions } from './metadata-http.js';

export interface AzureAttestedDocument {
  encoding: string;
  signature: string;
}

export async function fetchAzureAttested(options: MetadataFetchOptions & { nonce?: string }): Promise<AzureAttestedDocument> {
  if (options.nonce !== undefined && !/^\d{1,10}$/.test(options.nonce)) {
    throw new SectorCryptError('ERR_ARGUMENT', 'the Azure nonce must be 1 to 10 digits');
  }
  const query = new URLSearchParams({ 'api-version': '2020-09-01' });
  if (options.nonce !== undefined) query.set('nonce', options.nonce);
  const body = await metadataGet(`/metadata/attested/document?${query}`, { headers: { Metadata: 'true' } }, options);
  const doc = JSON.parse(body) as Partial<AzureAttestedDocument>;
  if (doc.encoding !== 'pkcs7' || typeof doc.signature !== 'string')
    throw new Error('the attested document is not {encoding: "pkcs7", signature}');
  return { encoding: doc.encoding, signature: doc.signature.replace(/\s+/g, '') };
}
