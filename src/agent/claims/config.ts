/** The claims config (`--claims FILE`): which collectors run, and the exec commands. */
import { SectorCryptError } from '../../errors.js';
import { firstSchemaError, type Schema } from './schema.js';
import type { ExecSpec } from './exec.js';

/** Built-in collector names, in the order their claims are listed. */
export const BUILT_IN_COLLECTORS = ['bootTime', 'machineId', 'hostname', 'kernel', 'os', 'firewall', 'selfHash', 'secureBoot'] as const;
export type BuiltInCollector = (typeof BUILT_IN_COLLECTORS)[number];

export const ATTESTATION_PROVIDERS = ['aws', 'gcp', 'azure'] as const;
export type AttestationProvider = (typeof ATTESTATION_PROVIDERS)[number];

export interface AttestationConfig {
  providers: AttestationProvider[];
  /** Audience of the Google Cloud identity token (the broker's URL, usually). */
  gcpAudience?: string;
  /** Which AWS PKCS#7 signature to fetch: RSA-2048/SHA-256 (default) or the older DSA/SHA-1 one. */
  awsSignature?: 'rsa2048' | 'pkcs7';
  /** Tests only: a loopback http:// URL that stands in for the metadata address. */
  metadataBaseUrlForTests?: string;
}

export interface ClaimsConfig {
  /** "auto" (the default) = every built-in collector; or the chosen names. */
  collectors?: 'auto' | BuiltInCollector[];
  exec?: ExecSpec[];
  attestations?: AttestationConfig;
}

const CLAIM_PATH = '^(identity|integrity)(\\.[A-Za-z0-9_-]+)+$';

const execSchema: Schema = {
  type: 'object',
  required: ['claim', 'argv'],
  additionalProperties: false,
  properties: {
    claim: { type: 'string', pattern: CLAIM_PATH, maxLength: 128, description: 'dotted path under identity. or integrity.' },
    argv: { type: 'array', minItems: 1, maxItems: 64, items: { type: 'string', maxLength: 4096 } },
    timeoutMs: { type: 'integer', minimum: 1, maximum: 300_000 },
    maxOutputBytes: { type: 'integer', minimum: 1, maximum: 16 * 1024 * 1024 },
    exitCodes: {
      type: 'object',
      propertyNames: { pattern: '^(0|[1-9][0-9]?|1[0-9]{2}|2[0-4][0-9]|25[0-5])$' }, // exit codes 0..255
      additionalProperties: { anyOf: [{ type: 'string', maxLength: 256 }, { type: 'integer' }, { type: 'boolean' }] },
    },
    jsonPointer: { type: 'string', pattern: '^(/([^~]|~[01])*)*$', maxLength: 1024 },
  },
};

/** The config's JSON Schema (the subset ./schema.ts checks), published in docs/claims.md. */
export const claimsConfigSchema: Schema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    collectors: { anyOf: [{ enum: ['auto'] }, { type: 'array', items: { enum: BUILT_IN_COLLECTORS } }] },
    exec: { type: 'array', maxItems: 32, items: execSchema },
    attestations: {
      type: 'object',
      required: ['providers'],
      additionalProperties: false,
      properties: {
        providers: { type: 'array', minItems: 1, items: { enum: ATTESTATION_PROVIDERS } },
        gcpAudience: { type: 'string', minLength: 1, maxLength: 2048 },
        awsSignature: { enum: ['rsa2048', 'pkcs7'] },
        metadataBaseUrlForTests: { type: 'string', pattern: '^http://(127\\.0\\.0\\.1|\\[::1\\]|localhost)(:[0-9]{1,5})?/?$' },
      },
    },
  },
};

/** Checks a parsed config strictly; throws ERR_ARGUMENT naming the first bad key or value. */
export function parseClaimsConfig(value: unknown): ClaimsConfig {
  if (value === 'auto') return { collectors: 'auto' };
  const error = firstSchemaError(claimsConfigSchema, value);
  if (error) throw new SectorCryptError('ERR_ARGUMENT', `claims config ${error}`);
  const config = value as ClaimsConfig;
  config.exec?.forEach((spec, i) => {
    const modes = [spec.exitCodes, spec.jsonPointer].filter((m) => m !== undefined).length;
    if (modes !== 1)
      throw new SectorCryptError('ERR_ARGUMENT', `claims config /exec/${i}: give exactly one of "exitCodes" and "jsonPointer"`);
    if (!spec.argv[0]!.startsWith('/'))
      throw new SectorCryptError('ERR_ARGUMENT', `claims config /exec/${i}/argv/0: the program must be an absolute path`);
  });
  const claims = (config.exec ?? []).map((e) => e.claim);
  const twice = claims.find((c, i) => claims.indexOf(c) !== i);
  if (twice) throw new SectorCryptError('ERR_ARGUMENT', `claims config /exec: claim "${twice}" is produced twice`);
  if (config.attestations?.providers.includes('gcp') && !config.attestations.gcpAudience) {
    throw new SectorCryptError('ERR_ARGUMENT', 'claims config /attestations: provider "gcp" needs "gcpAudience"');
  }
  return config;
}
