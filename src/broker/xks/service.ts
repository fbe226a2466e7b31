/**
 * Keystores and their SigV4 credentials (docs/xks.md), each change in one transaction with its
 * audit record: create (with a first credential), list, rotate (a new credential beside the
 * old; at most two live at once), retire a credential, disable and enable (the kill switch).
 */
import { randomBytes } from 'node:crypto';
import { base32 } from '@scure/base';
import type { BrokerContext } from '../context.js';
import type { Principal } from '../auth/principal.js';
import type { Sql } from '../store/types.js';
import { appendAudit } from '../audit/log.js';
import { newId } from '../auth/secrets.js';
import { fail } from '../http/errors.js';
import { iso } from '../http/schemas.js';
import { sealAtRest } from '../root-key/seal.js';
import * as rows from './repository.js';
import { checkCommonName, parseCaBundle } from './mtls.js';
import { subjectLine } from '../attest/x509-chain.js';
import type { XksCredentialAnswer, XksKeystoreAnswer } from '../../protocol/answers.js';

/** "API operations": the XksProxyUriPath ends in /kms/xks/v1. */
export const XKS_API_PATH = '/kms/xks/v1';

export function uriPath(uriPathId: string): string {
  return `/xks/${uriPathId}${XKS_API_PATH}`;
}

/** Live credentials per keystore: the one KMS uses and the one it is being switched to. */
export const MAX_LIVE_CREDENTIALS = 2;

/**
 * A fresh credential (Appendix A): an access key id of 24 characters A-Z 2-7 (15 random bytes in
 * RFC 4648 base32, unrelated to the secret), and a secret of 32 random bytes in Base64 (44
 * characters of A-Z a-z 0-9 + / =).
 */
function newCredential(): { accessKeyId: string; secret: Uint8Array } {
  const accessKeyId = base32.encode(randomBytes(15));
  const raw = randomBytes(32);
  const secret = new Uint8Array(Buffer.from(raw.toString('base64'), 'utf8'));
  raw.fill(0);
  return { accessKeyId, secret };
}

async function addCredential(
  ctx: BrokerContext,
  q: Sql,
  tenantId: string,
  keystoreId: string,
): Promise<{ accessKeyId: string; secretAccessKey: string }> {
  const id = newId('xkc');
  const { accessKeyId, secret } = newCredential();
  try {
    await rows.insertCredential(q, tenantId, id, keystoreId, accessKeyId, sealAtRest(ctx.rootKey, tenantId, id, 1, secret));
    // Shown once, as text in the JSON answer; the bytes here are wiped.
    return { accessKeyId, secretAccessKey: Buffer.from(secret).toString('utf8') };
  } finally {
    secret.fill(0);
  }
}

export async function createKeystore(ctx: BrokerContext, admin: Principal, name: string, sourceIp: string): Promise<XksCredentialAnswer> {
  const keystoreId = newId('xks');
  const uriPathId = randomBytes(16).toString('hex');
  return ctx.db.tx(async (q) => {
    if (await rows.nameTaken(q, admin.tenantId, name)) fail('ERR_CONFLICT', `a keystore named ${name} exists`);
    await rows.insertKeystore(q, admin.tenantId, keystoreId, name, uriPathId);
    const cred = await addCredential(ctx, q, admin.tenantId, keystoreId);
    await appendAudit(q, admin.tenantId, {
      actor: admin.userId,
      action: 'xks.keystore.create',
      target: keystoreId,
      outcome: 'success',
      reasons: { name, uriPath: uriPath(uriPathId), accessKeyId: cred.accessKeyId },
      sourceIp,
    });
    return { keystoreId, name, uriPath: uriPath(uriPathId), ...cred };
  });
}

export async function listKeystores(q: Sql, tenantId: string): Promise<{ keystores: XksKeystoreAnswer[] }> {
  const creds = await rows.listCredentials(q, tenantId);
  return {
    keystores: (await rows.listKeystores(q, tenantId)).map((s) => ({
      keystoreId: s.id,
      name: s.name,
      uriPath: uriPath(s.uri_path_id),
      enabled: s.disabled_at === null,
      createdAt: iso(s.created_at),
      disabledAt: s.disabled_at === null ? null : iso(s.disabled_at),
      credentials: creds
        .filter((c) => c.keystore_id === s.id)
        .map((c) => ({
          accessKeyId: c.access_key_id,
          createdAt: iso(c.created_at),
          retiredAt: c.retired_at === null ? null : iso(c.retired_at),
        })),
      mtls:
        s.mtls_subject_cn === null || s.mtls_ca_pem === null
          ? null
          : {
              subjectCommonName: s.mtls_subject_cn,
              caCertificates: parseCaBundle(s.mtls_ca_pem).map((c) => ({
                subject: subjectLine(c),
                fingerprint256: c.fingerprint256,
                validTo: iso(new Date(c.validTo)),
              })),
            },
    })),
  };
}

async function keystore(q: Sql, tenantId: string, id: string): Promise<rows.KeystoreRow> {
  const s = await rows.lockKeystore(q, tenantId, id);
  if (!s) fail('ERR_NOT_FOUND', 'no such keystore');
  return s;
}

/**
 * A new credential beside the live one ("SigV4 credentials rotation", step 1): both verify until
 * the older is retired. A keystore keeps at most two: the oldest goes when a third is made.
 */
export async function rotateCredential(ctx: BrokerContext, admin: Principal, id: string, sourceIp: string): Promise<XksCredentialAnswer> {
  return ctx.db.tx(async (q) => {
    const s = await keystore(q, admin.tenantId, id);
    const live = await rows.liveCredentials(q, s.id);
    const retired: string[] = [];
    for (const c of live.slice(0, Math.max(0, live.length - (MAX_LIVE_CREDENTIALS - 1)))) {
      await rows.retireCredential(q, s.id, c.access_key_id);
      retired.push(c.access_key_id);
    }
    const cred = await addCredential(ctx, q, admin.tenantId, s.id);
    await appendAudit(q, admin.tenantId, {
      actor: admin.userId,
      action: 'xks.credential.create',
      target: s.id,
      outcome: 'success',
      reasons: { accessKeyId: cred.accessKeyId, retired },
      sourceIp,
    });
    return { keystoreId: s.id, name: s.name, uriPath: uriPath(s.uri_path_id), ...cred };
  });
}

/** "SigV4 credentials rotation", step 4: the old credential stops verifying. The last live one stays. */
export async function retireCredential(q: Sql, admin: Principal, id: string, accessKeyId: string, sourceIp: string) {
  const s = await keystore(q, admin.tenantId, id);
  const live = await rows.liveCredentials(q, s.id);
  if (!live.some((c) => c.access_key_id === accessKeyId)) fail('ERR_NOT_FOUND', 'no such live credential in this keystore');
  if (live.length === 1) fail('ERR_CONFLICT', 'the last live credential is not retired: rotate first, or disable the keystore');
  await rows.retireCredential(q, s.id, accessKeyId);
  await appendAudit(q, admin.tenantId, {
    actor: admin.userId,
    action: 'xks.credential.retire',
    target: s.id,
    outcome: 'success',
    reasons: { accessKeyId },
    sourceIp,
  });
  return listKeystores(q, admin.tenantId).then((l) => l.keystores.find((k) => k.keystoreId === s.id)!);
}

/** The kill switch for a whole keystore: every call through it is InvalidStateException from the next on. */
export async function setKeystoreDisabled(q: Sql, admin: Principal, id: string, disabled: boolean, sourceIp: string) {
  const s = await keystore(q, admin.tenantId, id);
  await rows.setDisabled(q, admin.tenantId, s.id, disabled);
  await appendAudit(q, admin.tenantId, {
    actor: admin.userId,
    action: disabled ? 'xks.keystore.disable' : 'xks.keystore.enable',
    target: s.id,
    outcome: 'success',
    sourceIp,
  });
  return listKeystores(q, admin.tenantId).then((l) => l.keystores.find((k) => k.keystoreId === s.id)!);
}

/**
 * Mutual TLS for a keystore (docs/xks.md "Mutual TLS"): from the next call on, it is served only
 * over the XKS listener to a client with this subject CN whose chain ends at one of these CAs.
 */
export async function setMtls(
  q: Sql,
  admin: Principal,
  id: string,
  settings: { subjectCommonName: string; caCertificates: string },
  sourceIp: string,
) {
  const cn = checkCommonName(settings.subjectCommonName);
  const cas = parseCaBundle(settings.caCertificates);
  const s = await keystore(q, admin.tenantId, id);
  // Stored as the certificates alone, re-encoded: no comments or other text of the bundle.
  await rows.setMtls(q, admin.tenantId, s.id, cn, cas.map((c) => c.toString().trim()).join('\n'));
  await appendAudit(q, admin.tenantId, {
    actor: admin.userId,
    action: 'xks.keystore.mtls.set',
    target: s.id,
    outcome: 'success',
    reasons: { subjectCommonName: cn, caCertificates: cas.map((c) => c.fingerprint256) },
    sourceIp,
  });
  return listKeystores(q, admin.tenantId).then((l) => l.keystores.find((k) => k.keystoreId === s.id)!);
}

/** Mutual TLS off: the keystore is served on both listeners again, with SigV4 alone. */
export async function clearMtls(q: Sql, admin: Principal, id: string, sourceIp: string) {
  const s = await keystore(q, admin.tenantId, id);
  await rows.setMtls(q, admin.tenantId, s.id, null, null);
  await appendAudit(q, admin.tenantId, {
    actor: admin.userId,
    action: 'xks.keystore.mtls.clear',
    target: s.id,
    outcome: 'success',
    sourceIp,
  });
  return listKeystores(q, admin.tenantId).then((l) => l.keystores.find((k) => k.keystoreId === s.id)!);
}
