/**
 * Signed cloud documents in a release request (not JWTs): the AWS instance identity document
 * with its PKCS#7 signature, and Azure's attested data (a PKCS#7 SignedData over a JSON
 * object). Each is checked against the certificates of the tenant's trusted issuers of that
 * kind (`POST /v1/issuers {name, kind: "aws" | "azure", certificates}`); the verified fields
 * reach policies as `attested.<issuer name>.<field>`. A document that does not verify is not
 * an error of the broker: it becomes a denial reason, so the agent and the log say why.
 */
import { SectorCryptError } from '../../errors.js';
import { verifyAwsIdentityDocument } from './aws.js';
import { verifySignedData } from './pkcs7.js';
import type { Reason } from '../release/decision.js';
import type { CloudDocuments } from '../../protocol/documents.js';

export type DocumentKind = 'aws' | 'azure';

export interface DocumentIssuer {
  name: string;
  kind: DocumentKind;
  /** PEM certificates whose keys may sign the documents. */
  certificates: string[];
}

export type { CloudDocuments };

/** Azure's document carries its own validity; allow this much clock difference. */
const CLOCK_TOLERANCE_MS = 60_000;

/** Fields of Azure's attested data kept as claims ("Attested data" in the IMDS docs). */
const AZURE_FIELDS = ['vmId', 'subscriptionId', 'sku', 'nonce', 'licenseType', 'plan', 'timeStamp'] as const;

/** Azure's "MM/DD/YY HH:MM:SS -0000" (UTC), as its attested data writes timeStamp.expiresOn. */
function azureTime(value: unknown): Date | undefined {
  const m = typeof value === 'string' ? /^(\d{2})\/(\d{2})\/(\d{2}) (\d{2}):(\d{2}):(\d{2}) ([+-])(\d{2})(\d{2})$/.exec(value) : null;
  if (!m) return undefined;
  const offset = (m[7] === '-' ? -1 : 1) * (Number(m[8]) * 60 + Number(m[9])) * 60_000;
  return new Date(Date.UTC(2000 + Number(m[3]), Number(m[1]) - 1, Number(m[2]), Number(m[4]), Number(m[5]), Number(m[6])) - offset);
}

function verifyAzure(doc: { signature: string }, certificates: string[], now: Date): Record<string, unknown> {
  const verified = verifySignedData(doc.signature, { certificates });
  let content: Record<string, unknown>;
  try {
    content = JSON.parse(verified.content.toString('utf8')) as Record<string, unknown>;
  } catch {
    throw new SectorCryptError('ERR_AUTH', 'the signed Azure document is not JSON');
  }
  if (content === null || typeof content !== 'object' || typeof content.vmId !== 'string')
    throw new SectorCryptError('ERR_AUTH', 'the signed Azure document has no vmId');
  const expires = azureTime((content.timeStamp as { expiresOn?: unknown } | undefined)?.expiresOn);
  if (!expires) throw new SectorCryptError('ERR_AUTH', 'the signed Azure document has no timeStamp.expiresOn');
  if (expires.getTime() + CLOCK_TOLERANCE_MS < now.getTime())
    throw new SectorCryptError('ERR_AUTH', `the signed Azure document expired at ${expires.toISOString()}`);
  const claims: Record<string, unknown> = {};
  for (const field of AZURE_FIELDS) if (content[field] !== undefined) claims[field] = content[field];
  return claims;
}

/** Why a document was refused, in words (never a stack, never the document). */
function why(err: unknown): string {
  if (err instanceof SectorCryptError) return err.message.replace(/ \(ERR_[A-Z_]+\)$/, '');
  return 'the document could not be read';
}

/**
 * Verifies each document with the trusted issuers of its kind (the first that verifies
 * wins). Returns the claims by issuer name, and a denial reason for each document that did
 * not verify or that no issuer of the tenant is trusted for.
 */
export function verifyDocuments(
  documents: CloudDocuments,
  issuers: DocumentIssuer[],
  now: Date,
): { attested: Record<string, unknown>; reasons: Reason[] } {
  const attested: Record<string, unknown> = {};
  const reasons: Reason[] = [];
  for (const kind of ['aws', 'azure'] as const) {
    const doc = documents[kind];
    if (!doc) continue;
    const candidates = issuers.filter((i) => i.kind === kind);
    const refuse = (actual: string) =>
      reasons.push({
        policy: '',
        rule: 'attestation',
        claim: `attested.${kind}`,
        expected: `a ${kind} document signed by a trusted certificate`,
        actual,
      });
    if (!candidates.length) {
      refuse(`no trusted issuer of kind ${kind} in this tenant`);
      continue;
    }
    let failure = '';
    for (const issuer of candidates) {
      try {
        attested[issuer.name] =
          kind === 'aws'
            ? verifyAwsIdentityDocument(doc as { document: string; pkcs7: string }, issuer.certificates).claims
            : verifyAzure(doc as { signature: string }, issuer.certificates, now);
        failure = '';
        break;
      } catch (err) {
        failure = `${issuer.name}: ${why(err)}`;
      }
    }
    if (failure) refuse(failure);
  }
  return { attested, reasons };
}
