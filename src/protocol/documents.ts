/** Signed cloud documents as a release request carries them (src/agent/attest gets them, src/broker/attest checks them). */
import { object } from './schema.js';
import type { FromSchema } from './schema.js';

/** PKCS#7 in base64, with AWS's signed JSON beside it; Azure's attested document is PKCS#7 alone. */
export const cloudDocumentsSchema = object({
  aws: object({ document: { type: 'string', minLength: 2, maxLength: 4096 }, pkcs7: { type: 'string', minLength: 1, maxLength: 8192 } }, [
    'document',
    'pkcs7',
  ]),
  azure: object({ signature: { type: 'string', minLength: 1, maxLength: 16_384 } }, ['signature']),
});

/**
 * Written out rather than derived: the agent exports it (`sectorcrypt/agent`), and a published
 * declaration must not need json-schema-to-ts, a development dependency. The check below
 * keeps it equal to the schema's type.
 */
export interface CloudDocuments {
  aws?: { document: string; pkcs7: string };
  azure?: { signature: string };
}

type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const sameAsSchema: Same<CloudDocuments, FromSchema<typeof cloudDocumentsSchema>> = true;
void sameAsSchema;
