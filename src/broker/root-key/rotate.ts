/**
 * `broker root-key rotate`: every secret sealed under the root key (key versions', audit log
 * keys' and OpenID providers' client secrets' sealed_secret, seal.ts) is opened under the old key and sealed under a new
 * one in ONE transaction, which also records the new key's id (migration 8) and an audit
 * record `root-key.rotate` in the system tenant's log and in the log of each tenant whose
 * secrets were re-sealed. The key files change around that transaction as files.ts
 * describes, so a crash at any step leaves a folder that opens.
 *
 * Brokers sharing the database: the trigger of migration 8 refuses a secret sealed under the
 * old key from then on, a running broker re-reads root.key when a secret does not open, and
 * one started with the old root.key refuses to start (check.ts).
 */
import { randomBytes } from 'node:crypto';
import { readDataDir } from '../data-dir/files.js';
import { openStore } from '../store/open.js';
import type { Sql, Store } from '../store/types.js';
import { appendAudit } from '../audit/log.js';
import { SYSTEM_TENANT } from '../store/migrations.js';
import { SectorCryptError } from '../../errors.js';
import { openAtRest, rootKeyId, sealAtRest } from './seal.js';
import * as keyRows from '../keys/repository.js';
import * as xksRows from '../xks/repository.js';
import { lockSealedLogKeys, resealLogKey } from '../audit/checkpoints.js';
import { lockRootKeyId, setRootKeyId } from './repository.js';
import { lockSealedClientSecrets, resealClientSecret as storeClientSecret } from '../oidc/repository.js';
import { resealClientSecret } from '../oidc/service.js';
import { databaseRootKeyId, settleRootKey } from './check.js';
import { finishRenames, NEW_ROOT_KEY, promoteNewKey, removeNewKey, writeKeyFile } from './files.js';

export interface RotateResult {
  /** The new root key's id (hex): a hash, never the key. */
  rootKeyId: string;
  keyVersions: number;
  logKeys: number;
  /** OpenID providers' client secrets (oidc/service.ts), stored and pending. */
  clientSecrets: number;
  /** XKS keystores' SigV4 secrets (xks/service.ts). */
  xksCredentials: number;
  tenants: number;
}

interface Sealed {
  tenant_id: string;
  key_id: string;
  version: number;
  sealed_secret: Uint8Array;
}

/** Re-seals one secret; the plaintext lives only between the two calls. */
function reseal(oldKey: Uint8Array, newKey: Uint8Array, r: Sealed, keyId: string, version: number): Uint8Array {
  const secret = openAtRest(oldKey, r.tenant_id, keyId, version, new Uint8Array(r.sealed_secret));
  try {
    return sealAtRest(newKey, r.tenant_id, keyId, version, secret);
  } finally {
    secret.fill(0);
  }
}

/** The transaction: every sealed secret re-sealed, the new id recorded, the audit records. */
export async function resealAll(store: Store, oldKey: Uint8Array, newKey: Uint8Array): Promise<RotateResult> {
  const newId = rootKeyId(newKey);
  return store.tx(async (q: Sql) => {
    // Writers of sealed secrets take this row FOR SHARE (migration 8): they finish first, or wait.
    const current = await lockRootKeyId(q);
    if (!current || Buffer.compare(current, rootKeyId(oldKey)) !== 0) {
      throw new SectorCryptError('ERR_CONFLICT', 'the root key changed meanwhile (another rotation?); nothing was re-sealed');
    }
    await setRootKeyId(q, newId);
    const perTenant = new Map<string, { keyVersions: number; logKeys: number; clientSecrets: number; xksCredentials: number }>();
    const count = (tenantId: string) =>
      perTenant.get(tenantId) ??
      perTenant.set(tenantId, { keyVersions: 0, logKeys: 0, clientSecrets: 0, xksCredentials: 0 }).get(tenantId)!;
    const versions = await keyRows.lockSealedSecrets(q);
    for (const r of versions) {
      const version = Number(r.version);
      await keyRows.resealSecret(q, r.key_id, version, reseal(oldKey, newKey, r, r.key_id, version));
      count(r.tenant_id).keyVersions++;
    }
    const logKeys = await lockSealedLogKeys(q);
    for (const r of logKeys) {
      await resealLogKey(q, r.tenant_id, reseal(oldKey, newKey, r, 'audit-log', 1));
      count(r.tenant_id).logKeys++;
    }
    const clientSecrets = await lockSealedClientSecrets(q);
    for (const r of clientSecrets) {
      await storeClientSecret(q, r.id, resealClientSecret(oldKey, newKey, r));
      count(r.tenant_id).clientSecrets++;
    }
    const credentials = await xksRows.lockSealedCredentials(q);
    for (const r of credentials) {
      await xksRows.resealCredential(q, r.id, reseal(oldKey, newKey, { ...r, key_id: r.id, version: 1 }, r.id, 1));
      count(r.tenant_id).xksCredentials++;
    }
    const id = Buffer.from(newId).toString('hex');
    for (const [tenantId, n] of perTenant) {
      if (tenantId === SYSTEM_TENANT) continue;
      await appendAudit(q, tenantId, { actor: 'broker', action: 'root-key.rotate', target: id, outcome: 'success', reasons: n });
    }
    const result = {
      rootKeyId: id,
      keyVersions: versions.length,
      logKeys: logKeys.length,
      clientSecrets: clientSecrets.length,
      xksCredentials: credentials.length,
      tenants: [...perTenant.keys()].filter((t) => t !== SYSTEM_TENANT).length,
    };
    await appendAudit(q, SYSTEM_TENANT, {
      actor: 'broker',
      action: 'root-key.rotate',
      target: id,
      outcome: 'success',
      reasons: {
        keyVersions: result.keyVersions,
        logKeys: result.logKeys,
        clientSecrets: result.clientSecrets,
        xksCredentials: result.xksCredentials,
        tenants: result.tenants,
      },
    });
    return result;
  });
}

export interface RotateOptions {
  dataDir: string;
  /** Overrides the store named in DATA/broker.json. */
  database?: string;
  /** Keep the replaced key as DATA/root.key.old (0600), e.g. for database backups made before. */
  keepOld?: boolean;
}

/** The whole rotation, steps in the order files.ts gives. */
export async function rotateRootKey(opts: RotateOptions): Promise<RotateResult> {
  await finishRenames(opts.dataDir);
  const files = await readDataDir(opts.dataDir, opts.database);
  const oldKey = files.rootKey;
  const newKey = new Uint8Array(randomBytes(32));
  let store: Store | undefined;
  try {
    store = await openStore(files.database);
    // Finishes an earlier rotation that committed, and proves root.key is the database's.
    await settleRootKey(store, opts.dataDir, oldKey);
    if (!(await databaseRootKeyId(store))) throw new SectorCryptError('ERR_ROOT_KEY_MISMATCH', 'the database has no root key id');
    // 'wx': a root.key.new already there is another rotation's (running, or stopped before
    // its commit); never removed here, since it may be about to hold the database's key.
    await writeKeyFile(opts.dataDir, NEW_ROOT_KEY, newKey);
    let result: RotateResult;
    try {
      result = await resealAll(store, oldKey, newKey);
    } catch (err) {
      // Our own file: removed only once the database is known to still name the old key.
      const now = await databaseRootKeyId(store).catch(() => undefined);
      if (now && Buffer.compare(now, rootKeyId(oldKey)) === 0) await removeNewKey(opts.dataDir);
      throw err;
    }
    await promoteNewKey(opts.dataDir, opts.keepOld ?? false);
    return result;
  } finally {
    await store?.close();
    oldKey.fill(0);
    newKey.fill(0);
  }
}
