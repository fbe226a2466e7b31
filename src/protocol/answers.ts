/**
 * The broker's answers that clients read (the agent, the management CLI, the console), each
 * declared once as the JSON Schema the broker serializes it with, its type derived from it.
 * The broker's routes use these schemas; the clients import the types. Types and plain
 * objects only: the console imports this module in a browser.
 */
import { boolean, integer, nullableString, object, string, strings, type FromSchema } from './schema.js';

/** One failed leaf of a decision's trace (docs/policies.md); `policy` is null for "no policy". */
export const reasonSchema = object({ policy: nullableString, rule: string, claim: string, expected: {}, actual: {}, trust: string });
export type DenialReason = FromSchema<typeof reasonSchema>;

/** A user as GET /v1/users lists it. */
export const userAnswer = object(
  {
    userId: string,
    name: string,
    roles: strings,
    vouched: boolean,
    signIn: { enum: ['local', 'provider'] },
    createdAt: string,
    disabledAt: string,
  },
  ['userId', 'name', 'roles', 'createdAt'],
);
export type UserAnswer = FromSchema<typeof userAnswer>;

/** A user's one-time invitation, shown once. */
export const invitationAnswer = object({ invitationId: string, code: string, expiresAt: string }, ['invitationId', 'code', 'expiresAt']);
export type InvitationAnswer = FromSchema<typeof invitationAnswer>;

/** An API token as a token list shows it (never the token); `current` in the caller's own list. */
export const tokenAnswer = object({ tokenId: string, createdAt: string, expiresAt: string, revokedAt: string, current: boolean }, [
  'tokenId',
  'createdAt',
  'expiresAt',
]);
export type TokenAnswer = FromSchema<typeof tokenAnswer>;

/** The answer of a change that waits for a second admin (202). */
export const pendingActionAnswer = object({ actionId: string, kind: string, target: string, expiresAt: string, reason: string }, [
  'actionId',
  'expiresAt',
]);
export type PendingActionAnswer = FromSchema<typeof pendingActionAnswer>;

/** An action waiting for a second admin, as GET /v1/actions lists it; `payload` is what will be written. */
export const actionAnswer = object(
  { actionId: string, kind: string, target: string, requestedBy: string, expiresAt: string, reason: string, payload: {} },
  ['actionId', 'kind', 'target', 'requestedBy', 'expiresAt'],
);
export type ActionAnswer = FromSchema<typeof actionAnswer>;

/** Whether the tenant enforces two-person rules (GET /v1/health for a tenant's user). */
export const separationAnswer = object(
  {
    admins: integer,
    vouchedAdmins: integer,
    twoPersonRules: string,
    unvouched: { type: 'array', items: object({ userId: string, name: string, roles: strings }, ['userId', 'name', 'roles']) },
  },
  ['admins', 'vouchedAdmins', 'twoPersonRules', 'unvouched'],
);
export type SeparationAnswer = FromSchema<typeof separationAnswer>;

/** When a certificate expires, and how many days that leaves. */
export const expiryAnswer = object({ notAfter: string, daysLeft: integer }, ['notAfter', 'daysLeft']);
export type ExpiryAnswer = FromSchema<typeof expiryAnswer>;

/** The served certificate and the CA, with warnings within 30 days of either. */
export const certificateAnswer = object({ server: expiryAnswer, ca: expiryAnswer, warnings: strings }, ['server', 'ca', 'warnings']);
export type CertificateAnswer = FromSchema<typeof certificateAnswer>;

/** A key version's public key (GET /v1/keys/:id/public, and a new or rotated key). */
export const publicKeyAnswer = object({ keyId: string, version: integer, publicKey: string }, ['keyId', 'version', 'publicKey']);
export type PublicKeyAnswer = FromSchema<typeof publicKeyAnswer>;

export const keyVersionAnswer = object({ version: integer, publicKey: string, createdAt: string, retired: boolean }, [
  'version',
  'publicKey',
  'createdAt',
  'retired',
]);
export type KeyVersionAnswer = FromSchema<typeof keyVersionAnswer>;

/** A new key: an x25519 key's public key, or an aes256 (XKS) key's usage (docs/xks.md). */
export const createdKeyAnswer = object({ keyId: string, version: integer, publicKey: string, type: string, usage: strings }, [
  'keyId',
  'version',
]);
export type CreatedKeyAnswer = FromSchema<typeof createdKeyAnswer>;

/** A key with its versions, as GET /v1/keys lists it; aes256 keys with their usage and kill switch. */
export const keyAnswer = object(
  {
    keyId: string,
    name: string,
    createdAt: string,
    destroyed: boolean,
    type: string,
    usage: strings,
    disabled: boolean,
    versions: { type: 'array', items: keyVersionAnswer },
  },
  ['keyId', 'name', 'createdAt', 'destroyed', 'versions'],
);
export type KeyAnswer = FromSchema<typeof keyAnswer>;

/** An enrolled device. */
/** `tpm`: the state of its TPM (absent: enrolled without one). */
export const deviceAnswer = object(
  {
    deviceId: string,
    name: string,
    groups: strings,
    enrolledAt: string,
    revokedAt: nullableString,
    tpm: object({ activatedAt: nullableString, verifiedAt: nullableString }, ['activatedAt', 'verifiedAt']),
  },
  ['deviceId', 'name', 'groups', 'enrolledAt', 'revokedAt'],
);
export type DeviceAnswer = FromSchema<typeof deviceAnswer>;

/** A stored release policy: the validated document as written. */
export const policyAnswer = object({ name: string, policy: { type: 'object', additionalProperties: true }, updatedAt: string }, [
  'name',
  'policy',
  'updatedAt',
]);
export type PolicyAnswer = FromSchema<typeof policyAnswer>;

/** One approver's vote on a request, with their comment. */
export const voteAnswer = object({ userId: string, name: string, decision: string, comment: string, at: string }, [
  'userId',
  'name',
  'decision',
  'at',
]);

/** A release request as GET /v1/requests lists it, with who voted and how (the request's history). */
export const releaseRequestAnswer = object(
  {
    requestId: string,
    status: string,
    deviceId: string,
    keyId: string,
    version: integer,
    resource: string,
    policy: nullableString,
    approversNeeded: integer,
    approvals: integer,
    claims: { type: 'object', additionalProperties: true },
    trace: { type: 'array', items: { type: 'object', additionalProperties: true } },
    createdAt: string,
    expiresAt: nullableString,
    decidedAt: nullableString,
    votes: { type: 'array', items: voteAnswer },
  },
  [
    'requestId',
    'status',
    'deviceId',
    'keyId',
    'version',
    'resource',
    'policy',
    'approversNeeded',
    'approvals',
    'claims',
    'createdAt',
    'expiresAt',
  ],
);
export type ReleaseRequestAnswer = Omit<FromSchema<typeof releaseRequestAnswer>, 'trace'> & { trace?: DenialReason[] };

/** Who is signed in to the console, with the session's CSRF token. */
export const whoAmIAnswer = object(
  {
    tenantId: string,
    tenantName: string,
    userId: string,
    userName: string,
    roles: strings,
    csrfToken: string,
    expiresAt: string,
    // How the person signed in through the tenant's OpenID provider (absent: a local API token).
    signIn: object({ provider: string, subject: string, amr: strings, acr: string, authTime: string }, ['provider', 'subject', 'amr']),
  },
  ['tenantId', 'tenantName', 'userId', 'userName', 'roles', 'csrfToken', 'expiresAt'],
);
export type WhoAmIAnswer = FromSchema<typeof whoAmIAnswer>;

/**
 * An audit record as the log holds it (docs/audit.md): canonical JSON, sent as stored, so the
 * export's schema does not reorder it (the route's items stay open objects); this is its shape.
 */
export const auditRecordShape = object(
  {
    seq: integer,
    time: string,
    actor: string,
    action: string,
    target: nullableString,
    outcome: string,
    reasons: {},
    requestId: nullableString,
    sourceIp: nullableString,
  },
  ['seq', 'time', 'actor', 'action', 'target', 'outcome', 'requestId'],
);
export type AuditRecordAnswer = FromSchema<typeof auditRecordShape>;

/** RFC 9162 2.1.3 inclusion proof of a record, with its leaf hash. */
export const inclusionProofAnswer = object({ leafIndex: integer, treeSize: integer, hashes: strings, leafHash: string }, [
  'leafIndex',
  'treeSize',
  'hashes',
  'leafHash',
]);
export type InclusionProofAnswer = FromSchema<typeof inclusionProofAnswer>;

/** RFC 9162 2.1.4 consistency proof between two sizes of the log. */
export const consistencyProofAnswer = object({ fromSize: integer, toSize: integer, hashes: strings }, ['fromSize', 'toSize', 'hashes']);
export type ConsistencyProofAnswer = FromSchema<typeof consistencyProofAnswer>;

/**
 * A keystore's new SigV4 credential with the values for KMS's CreateCustomKeyStore
 * (docs/xks.md): XksProxyUriPath, AccessKeyId, RawSecretAccessKey. The secret is shown once.
 */
export const xksCredentialAnswer = object(
  { keystoreId: string, name: string, uriPath: string, accessKeyId: string, secretAccessKey: string },
  ['keystoreId', 'uriPath', 'accessKeyId', 'secretAccessKey'],
);
export type XksCredentialAnswer = FromSchema<typeof xksCredentialAnswer>;

/** A keystore as GET /v1/xks/keystores lists it: never a secret, only the access key ids. */
export const xksKeystoreAnswer = object(
  {
    keystoreId: string,
    name: string,
    uriPath: string,
    enabled: boolean,
    createdAt: string,
    disabledAt: nullableString,
    credentials: {
      type: 'array',
      items: object({ accessKeyId: string, createdAt: string, retiredAt: nullableString }, ['accessKeyId', 'createdAt', 'retiredAt']),
    },
    /** Mutual TLS (docs/xks.md "Mutual TLS"): the client's subject CN and the CA certificates, or null when off. */
    mtls: {
      anyOf: [
        object(
          {
            subjectCommonName: string,
            caCertificates: {
              type: 'array',
              items: object({ subject: string, fingerprint256: string, validTo: string }, ['subject', 'fingerprint256', 'validTo']),
            },
          },
          ['subjectCommonName', 'caCertificates'],
        ),
        { type: 'null' },
      ],
    },
  },
  ['keystoreId', 'name', 'uriPath', 'enabled', 'createdAt', 'disabledAt', 'credentials', 'mtls'],
);
export type XksKeystoreAnswer = FromSchema<typeof xksKeystoreAnswer>;
