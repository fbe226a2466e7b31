/**
 * AWS EC2: an IMDSv2 session token (PUT /latest/api/token), then the instance identity
 * document and its PKCS#7 signature (base64 DER, no PEM armour), as the EC2 user guide
 * "Instance identity documents" describes. The PKCS#7 is not a JWT: it goes to the broker
 * as a document, and the broker checks it with the AWS certificate its admin configures.
 */
import { metadataGet, type MetadataFetchOptions } from './metadata-http.js';

export interface AwsIdentityDocument {
  /** The document exactly as served (the signed bytes). */
  document: string;
  /** Base64 DER of the PKCS#7 SignedData over the document. */
  pkcs7: string;
  /** Which endpoint signed it: `rsa2048` (RSA-2048, SHA-256) or `pkcs7` (DSA, SHA-1). */
  signature: 'rsa2048' | 'pkcs7';
}

/** Seconds the IMDSv2 token lives; we use it at once, so keep it short. */
const TOKEN_TTL_SECONDS = '60';

export async function fetchAwsIdentity(options: MetadataFetchOptions & { signature?: 'rsa2048' | 'pkcs7' }): Promise<AwsIdentityDocument> {
  const token = await metadataGet(
    '/latest/api/token',
    { method: 'PUT', headers: { 'X-aws-ec2-metadata-token-ttl-seconds': TOKEN_TTL_SECONDS } },
    options,
  );
  const headers = { 'X-aws-ec2-metadata-token': token.trim() };
  const signature = options.signature ?? 'rsa2048';
  const [document, pkcs7] = await Promise.all([
    metadataGet('/latest/dynamic/instance-identity/document', { headers }, options),
    metadataGet(`/latest/dynamic/instance-identity/${signature}`, { headers }, options),
  ]);
  JSON.parse(document); // a document that is not JSON is not one
  return { document, pkcs7: pkcs7.replace(/\s+/g, ''), signature };
}
