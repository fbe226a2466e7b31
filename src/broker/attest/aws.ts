/**
 * Broker side of the AWS instance identity document: the PKCS#7 signature (from the
 * `rsa2048` or `pkcs7` endpoint) is checked with the AWS certificate for the region that the
 * admin configures (AWS publishes one per region and signature type), then the document's
 * fields become claims. Only verified documents give claims.
 */
import { SectorCryptError } from '../../errors.js';
import { verifySignedData } from './pkcs7.js';

/** Fields of the document (EC2 user guide, "Instance identity documents") kept as claims. */
const CLAIM_FIELDS = [
  'accountId',
  'architecture',
  'availabilityZone',
  'imageId',
  'instanceId',
  'instanceType',
  'pendingTime',
  'privateIp',
  'region',
  'version',
] as const;

export interface AwsIdentityClaims {
  /** Document fields, e.g. { instanceId, region, accountId, imageId, ... }. */
  claims: Record<string, string>;
  /** The whole parsed document. */
  document: Record<string, unknown>;
  signingTime?: Date;
}

/**
 * Verifies `{ document, pkcs7 }` as the agent sent it (document as served, PKCS#7 base64 or
 * PEM) with the configured AWS certificates (PEM). Throws ERR_AUTH when the signature does
 * not verify or the document differs from what was signed.
 */
export function verifyAwsIdentityDocument(input: { document: string; pkcs7: string }, certificates: string[]): AwsIdentityClaims {
  const verified = verifySignedData(input.pkcs7, { certificates, content: input.document });
  let document: Record<string, unknown>;
  try {
    document = JSON.parse(verified.content.toString('utf8')) as Record<string, unknown>;
  } catch {
    throw new SectorCryptError('ERR_AUTH', 'the signed AWS identity document is not JSON');
  }
  if (document === null || typeof document !== 'object' || typeof document.instanceId !== 'string') {
    throw new SectorCryptError('ERR_AUTH', 'the signed AWS identity document has no instanceId');
  }
  const claims: Record<string, string> = {};
  for (const field of CLAIM_FIELDS) if (typeof document[field] === 'string') claims[field] = document[field];
  return { claims, document, ...(verified.signingTime ? { signingTime: verified.signingTime } : {}) };
}
