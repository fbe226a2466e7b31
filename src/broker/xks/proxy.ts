/**
 * The XKS API calls (xks_proxy_api_spec.md "API operations"), served under each keystore's URI
 * path by `broker serve`. Per call: one read (the keystore, the credential the request names,
 * the key, the tenant's policies: repository.ts lookup, in batches with other calls: lookups.ts), SigV4 (sigv4.ts), the body, the
 * keystore's and key's state, the key's usage, the policy ("Authorization": every call but
 * GetHealthStatus), the AES-GCM work, and a record in the tenant's Merkle log, committed in a
 * batch with others (release/recorder.ts) before the answer leaves.
 *
 * Nothing is cached between calls: disabling a key or a keystore (the kill switch) takes effect
 * at the next call on every broker sharing the database.
 */
import type { FastifyRequest } from 'fastify';
import type { BrokerContext } from '../context.js';
import type { AuditInput } from '../audit/log.js';
import { openAtRest } from '../root-key/seal.js';
import { decidePolicies, xksPolicyBinds, type Policy, type Reason } from '../policy/index.js';
import { findBadInput } from '../http/input-text.js';
import { XksError, XksMtlsRefused } from './errors.js';
import { checkClientCertificate } from './mtls.js';
import { parseSigV4, verifySigV4, type SigV4Header } from './sigv4.js';
import type { XksLookupRow } from './repository.js';
import {
  EXTERNAL_KEY_ID,
  parseDecryptRequest,
  parseEncryptRequest,
  parseMetadataRequest,
  type RequestMetadata,
  type XksOperation,
} from './requests.js';
import { decrypt, encrypt, encryptChecked } from './gcm.js';
import { healthAnswer } from './health.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The XKS API call a route serves: its errors are answered in the spec's shape (http/errors.ts). */
    xksOperation?: XksOperation;
  }
}

/** A keystore's URI path id (service.ts uriPath): 32 hex digits. */
const URI_PATH_ID = /^[0-9a-f]{32}$/;

/** What the access check found: the call's keystore and key, and who signed it. */
export interface XksCaller {
  op: XksOperation;
  row: XksLookupRow;
  accessKeyId: string;
  region: string;
  /** The externalKeyId of the path when it is well formed; null for health or a malformed one. */
  keyId: string | null;
}

const ACTIONS: Record<XksOperation, string> = {
  GetKeyMetadata: 'xks.metadata',
  Encrypt: 'xks.encrypt',
  Decrypt: 'xks.decrypt',
  GetHealthStatus: 'xks.health',
};

/** requestMetadata fields kept in the record (the spec's "Logging": request metadata SHOULD be logged). */
const LOGGED = ['kmsOperation', 'awsPrincipalArn', 'kmsKeyArn', 'kmsViaService', 'awsSourceVpc', 'awsSourceVpce'] as const;

interface Outcome {
  outcome: AuditInput['outcome'];
  errorName?: string;
  policy?: string | null;
  trace?: Reason[];
}

function record(
  ctx: BrokerContext,
  c: { tenantId: string; keystoreId: string; op: XksOperation; keyId: string | null },
  meta: Partial<RequestMetadata> | undefined,
  extra: Record<string, unknown>,
  o: Outcome,
): Promise<void> {
  const reasons: Record<string, unknown> = { ...extra };
  for (const f of LOGGED) if (meta?.[f] !== undefined) reasons[f] = meta[f];
  if (o.errorName) reasons.error = o.errorName;
  if (o.policy) reasons.policy = o.policy;
  if (o.trace?.length) reasons.trace = o.trace;
  // Strings from KMS go into the log: text the database cannot store (NUL, lone surrogates) is
  // left out here rather than failing the batch (the body was checked at the door already).
  if (findBadInput(reasons)) for (const f of LOGGED) delete reasons[f];
  const requestId = meta?.kmsRequestId !== undefined && !findBadInput(meta.kmsRequestId) ? meta.kmsRequestId : null;
  return ctx.releases.record(c.tenantId, null, {
    actor: c.keystoreId,
    action: ACTIONS[c.op],
    target: c.keyId,
    outcome: o.outcome,
    reasons,
    requestId,
  });
}

function rawBody(req: FastifyRequest): Uint8Array {
  return (req as unknown as { rawBody?: Buffer }).rawBody ?? new Uint8Array(0);
}

/**
 * The access check of the XKS routes (http/access.ts 'xks'): the keystore named by the URI
 * path, its mutual TLS when it has it set (mtls.ts), then SigV4 with one of its live credentials. A refusal is recorded in the keystore's
 * tenant's log (an unknown path has no tenant: InvalidUriPathException, not recorded).
 */
export async function admitXks(ctx: BrokerContext, req: FastifyRequest): Promise<XksCaller> {
  const op = req.routeOptions.config.xksOperation!;
  const params = req.params as { store?: string; keyId?: string };
  if (!params.store || !URI_PATH_ID.test(params.store)) throw new XksError('InvalidUriPathException', 'no keystore at this URI path');
  const keyId = params.keyId !== undefined && EXTERNAL_KEY_ID.test(params.keyId) ? params.keyId : null;
  let header: SigV4Header | undefined;
  let refused: XksError | undefined;
  try {
    header = parseSigV4(req.raw.rawHeaders, ctx.now());
  } catch (err) {
    if (!(err instanceof XksError)) throw err;
    refused = err;
  }
  const row = await ctx.xksLookups.lookup({
    uriPathId: params.store,
    accessKeyId: header?.accessKeyId ?? null,
    keyId,
    withPolicies: header !== undefined && op !== 'GetHealthStatus',
  });
  if (!row) throw new XksError('InvalidUriPathException', 'no keystore at this URI path');
  if (row.mtls_subject_cn !== null || row.mtls_ca_pem !== null) {
    // Fail closed: both are set together (migration 14), and either alone requires mTLS.
    const m = checkClientCertificate(req.raw.socket, row.mtls_subject_cn ?? '', row.mtls_ca_pem ?? '', ctx.now());
    if (!m.ok) {
      const extra = { ...(header ? { accessKeyId: header.accessKeyId, region: header.region } : {}), mtls: m.reason };
      await record(
        ctx,
        { tenantId: row.tenant_id, keystoreId: row.keystore_id, op, keyId },
        undefined,
        {
          ...extra,
          ...(m.client ? { clientCertificate: m.client } : {}),
        },
        { outcome: 'failure', errorName: 'mtls' },
      );
      throw new XksMtlsRefused();
    }
  }
  if (header) {
    let secret: Uint8Array | undefined;
    if (row.credential_id && row.credential_secret)
      secret = openAtRest(ctx.rootKey, row.tenant_id, row.credential_id, 1, row.credential_secret);
    try {
      const signed = { method: req.method, url: req.raw.url ?? req.url, rawHeaders: req.raw.rawHeaders, body: rawBody(req) };
      if (!verifySigV4(signed, header, secret))
        refused = new XksError('AuthenticationFailedException', 'the signature does not verify with a live credential of this keystore');
    } finally {
      secret?.fill(0);
    }
  }
  if (refused) {
    const extra = header ? { accessKeyId: header.accessKeyId, region: header.region } : {};
    await record(ctx, { tenantId: row.tenant_id, keystoreId: row.keystore_id, op, keyId }, undefined, extra, {
      outcome: 'failure',
      errorName: refused.errorName,
    });
    throw refused;
  }
  return { op, row, accessKeyId: header!.accessKeyId, region: header!.region, keyId };
}

/** The claims a policy sees for an XKS call (docs/xks.md "Policies"): requestMetadata under xks. */
export function xksClaims(c: XksCaller, meta: RequestMetadata): Record<string, unknown> {
  return {
    xks: { ...meta, operation: c.op, keystoreId: c.row.keystore_id, keyId: c.keyId, accessKeyId: c.accessKeyId, region: c.region },
  };
}

const b64 = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('base64');

/**
 * One XKS call after its access check: the answer, or an XksError. Either way the call is
 * recorded before this returns; a record that cannot be committed fails the call.
 */
export async function serveXks(ctx: BrokerContext, req: FastifyRequest, c: XksCaller): Promise<unknown> {
  const row = c.row;
  const where = { tenantId: row.tenant_id, keystoreId: row.keystore_id, op: c.op, keyId: c.keyId };
  const extra = { accessKeyId: c.accessKeyId, region: c.region };
  let meta: RequestMetadata | undefined;
  let decided: { policy: string | null; trace: Reason[] } = { policy: null, trace: [] };
  /** The cryptographic work of Encrypt or Decrypt, run once every check passed. */
  let work: ((key: Uint8Array) => Record<string, string>) | undefined;
  let plaintext: Uint8Array | undefined;
  try {
    if (c.op === 'GetHealthStatus' || c.op === 'GetKeyMetadata') {
      meta = parseMetadataRequest(req.body, c.op).requestMetadata;
    } else if (c.op === 'Encrypt') {
      const e = parseEncryptRequest(req.body);
      meta = e.requestMetadata;
      plaintext = e.plaintext;
      work = (key) => {
        const checked = e.cdiv ? encryptChecked(key, e.plaintext, e.aad) : undefined;
        const s = checked ?? encrypt(key, e.plaintext, e.aad);
        const out: Record<string, string> = {
          ciphertext: b64(s.ciphertext),
          initializationVector: b64(s.iv),
          authenticationTag: b64(s.tag),
        };
        if (checked) out.ciphertextDataIntegrityValue = checked.cdiv;
        return out;
      };
    } else {
      const d = parseDecryptRequest(req.body);
      meta = d.requestMetadata;
      work = (key) => {
        const plain = decrypt(key, d, d.aad);
        try {
          return { plaintext: b64(plain) };
        } finally {
          plain.fill(0);
        }
      };
    }
    // "Error codes": a disabled keystore or key is InvalidStateException (the spec has no KeyDisabledException).
    if (row.keystore_disabled_at) throw new XksError('InvalidStateException', 'this external key store is disabled at the proxy');
    if (c.op === 'GetHealthStatus') {
      // "GetHealthStatus" MUST be excluded from authorization.
      const health = healthAnswer();
      await record(ctx, where, meta, extra, { outcome: 'success' });
      return health;
    }
    if (c.keyId === null) throw new XksError('ValidationException', 'the externalKeyId is 1 to 128 characters of A-Z a-z 0-9 . _ -');
    if (!row.key_id || row.key_type !== 'aes256' || row.key_destroyed_at || !row.key_secret)
      throw new XksError('KeyNotFoundException', 'no such external key');
    const usage = row.usage ?? [];
    if (c.op !== 'GetKeyMetadata') {
      if (row.key_disabled_at) throw new XksError('InvalidStateException', 'this external key is disabled');
      const wanted = c.op === 'Encrypt' ? 'ENCRYPT' : 'DECRYPT';
      if (!usage.includes(wanted)) throw new XksError('InvalidKeyUsageException', `this key's usage does not include ${wanted}`);
    }
    // "Authorization": the tenant's XKS policies bound to this keystore and key.
    const bound = ((row.policies ?? []) as Policy[]).filter((p) => xksPolicyBinds(p, { keystoreId: row.keystore_id, keyId: row.key_id! }));
    const d = decidePolicies(bound, xksClaims(c, meta!), ctx.now());
    decided = { policy: d.policy ?? null, trace: d.reasons };
    if (d.decision !== 'release') {
      // The trace names the failing rules: it goes to the log and the audit record, not to KMS.
      req.log.warn(
        { keystoreId: row.keystore_id, keyId: row.key_id, kmsRequestId: meta!.kmsRequestId, trace: d.reasons },
        'XKS call denied by policy',
      );
      throw new XksError('AccessDeniedException', 'no policy of the proxy allows this call');
    }
    let out: unknown;
    if (!work) {
      out = { keySpec: 'AES_256', keyUsage: usage, keyStatus: row.key_disabled_at ? 'DISABLED' : 'ENABLED' };
    } else {
      const key = openAtRest(ctx.rootKey, row.tenant_id, row.key_id, 1, row.key_secret);
      try {
        out = work(key);
      } finally {
        key.fill(0);
      }
    }
    await record(ctx, where, meta, extra, { outcome: 'success', policy: decided.policy });
    return out;
  } catch (err) {
    const xe = err instanceof XksError ? err : undefined;
    if (!xe) throw err;
    await record(ctx, where, meta, extra, {
      outcome: xe.errorName === 'AccessDeniedException' ? 'denied' : 'failure',
      errorName: xe.errorName,
      policy: decided.policy,
      trace: decided.trace,
    });
    throw xe;
  } finally {
    plaintext?.fill(0);
  }
}
