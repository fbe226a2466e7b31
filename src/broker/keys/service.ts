/**
 * What the key routes do (docs/broker.md "Keys"), each in the caller's transaction where it
 * writes, with its audit record: make, list, read a public key, rotate, retire, rewrap, and
 * ask for a destroy (separation/ applies it once a second admin confirms: erase.ts).
 */
import type { BrokerContext } from '../context.js';
import type { Principal } from '../auth/principal.js';
import type { Sql } from '../store/types.js';
import { appendAudit } from '../audit/log.js';
import { newId } from '../auth/secrets.js';
import { fail } from '../http/errors.js';
import { iso, toB64 } from '../http/schemas.js';
import { requestAction, type PendingAnswer } from '../separation/service.js';
import { SectorCryptError } from '../../errors.js';
import { randomBytes } from 'node:crypto';
import { sealAtRest } from '../root-key/seal.js';
import { makeKeyVersion, sealTo, type SealedKind } from './version-keys.js';
import * as keyRows from './repository.js';
import type { KeyVersionRow } from './repository.js';

export interface PublicAnswer {
  keyId: string;
  version: number;
  publicKey: string;
}

export async function create(ctx: BrokerContext, admin: Principal, name: string, sourceIp: string): Promise<PublicAnswer> {
  const keyId = newId('key');
  const v1 = await makeKeyVersion(ctx.rootKey, admin.tenantId, keyId, 1);
  await ctx.db.tx(async (q) => {
    if (await keyRows.nameTaken(q, admin.tenantId, name)) fail('ERR_CONFLICT', `a key named ${name} exists`);
    await keyRows.insertKey(q, admin.tenantId, keyId, name, v1);
    await appendAudit(q, admin.tenantId, { actor: admin.userId, action: 'key.create', target: `${keyId}/1`, outcome: 'success', sourceIp });
  });
  return { keyId, version: 1, publicKey: toB64(v1.publicKey) };
}

/** The usages an XKS key may have (xks_proxy_api_spec.md "GetKeyMetadata", keyUsage). */
export const KEY_USAGES = ['ENCRYPT', 'DECRYPT'] as const;

export interface AesKeyAnswer {
  keyId: string;
  version: number;
  type: 'aes256';
  usage: string[];
}

/**
 * An XKS key (docs/xks.md): 32 random bytes made here and never leaving the broker, sealed
 * under the root key as version 1; its id is the externalKeyId KMS names.
 */
export async function createAes(
  ctx: BrokerContext,
  admin: Principal,
  name: string,
  usage: string[],
  sourceIp: string,
): Promise<AesKeyAnswer> {
  const wanted = [...new Set(usage)];
  if (wanted.some((u) => !(KEY_USAGES as readonly string[]).includes(u)) || wanted.length !== usage.length)
    fail('ERR_ARGUMENT', `usage is a list of distinct values among ${KEY_USAGES.join(', ')}`);
  const sorted = KEY_USAGES.filter((u) => wanted.includes(u));
  const keyId = newId('key');
  const secret = new Uint8Array(randomBytes(32));
  let sealed: Uint8Array;
  try {
    sealed = sealAtRest(ctx.rootKey, admin.tenantId, keyId, 1, secret);
  } finally {
    secret.fill(0);
  }
  await ctx.db.tx(async (q) => {
    if (await keyRows.nameTaken(q, admin.tenantId, name)) fail('ERR_CONFLICT', `a key named ${name} exists`);
    await keyRows.insertAesKey(q, admin.tenantId, keyId, name, sorted, sealed);
    await appendAudit(q, admin.tenantId, {
      actor: admin.userId,
      action: 'key.create',
      target: `${keyId}/1`,
      outcome: 'success',
      reasons: { type: 'aes256', usage: sorted },
      sourceIp,
    });
  });
  return { keyId, version: 1, type: 'aes256', usage: sorted };
}

/**
 * The XKS kill switch (docs/xks.md): a disabled aes256 key answers InvalidStateException to
 * KMS from the next call on, on every broker sharing the database (each call reads the row).
 */
export async function setDisabled(q: Sql, admin: Principal, id: string, disabled: boolean, sourceIp: string) {
  const key = await keyRows.lockKeyState(q, admin.tenantId, id);
  if (!key) fail('ERR_NOT_FOUND', 'no such key');
  if (key.key_type !== 'aes256') fail('ERR_UNSUPPORTED', 'only aes256 (XKS) keys are disabled and enabled');
  if (key.destroyed_at) fail('ERR_NOT_FOUND', 'this key was destroyed');
  const row = await keyRows.setKeyDisabled(q, admin.tenantId, id, disabled);
  await appendAudit(q, admin.tenantId, {
    actor: admin.userId,
    action: disabled ? 'key.disable' : 'key.enable',
    target: id,
    outcome: 'success',
    sourceIp,
  });
  return { keyId: id, disabled, disabledAt: row?.disabled_at ? iso(row.disabled_at) : null };
}

export async function list(q: Sql, tenantId: string) {
  const keys = new Map<string, Record<string, unknown> & { versions: unknown[] }>();
  for (const r of await keyRows.listKeys(q, tenantId)) {
    const id = r.id;
    const aes = r.key_type === 'aes256';
    if (!keys.has(id))
      keys.set(id, {
        keyId: id,
        name: r.name,
        createdAt: iso(r.created_at),
        destroyed: r.destroyed_at != null,
        type: r.key_type,
        ...(aes ? { usage: r.usage ?? [], disabled: r.disabled_at != null } : {}),
        versions: [],
      });
    keys.get(id)!.versions.push({
      version: Number(r.version),
      publicKey: toB64(new Uint8Array(r.public_key)),
      createdAt: iso(r.v_created),
      retired: r.retired_at != null,
    });
  }
  return { keys: [...keys.values()] };
}

/** A version's public key; without `wanted`, the newest, unless every version is retired. */
export async function publicKey(q: Sql, tenantId: string, id: string, wanted: number | undefined): Promise<PublicAnswer> {
  if (wanted === 0) fail('ERR_ARGUMENT', 'versions start at 1');
  const v = await keyRows.loadVersion(q, tenantId, id, wanted ?? 'latest');
  if (v.destroyed_at) fail('ERR_NOT_FOUND', 'this key was destroyed');
  if (v.public_key.length === 0) fail('ERR_UNSUPPORTED', 'an aes256 (XKS) key has no public key');
  if (wanted === undefined && v.retired_at) fail('ERR_NOT_FOUND', 'every version of this key is retired');
  return { keyId: v.key_id, version: v.version, publicKey: toB64(v.public_key) };
}

export async function rotate(ctx: BrokerContext, q: Sql, admin: Principal, id: string, sourceIp: string): Promise<PublicAnswer> {
  const key = await keyRows.lockKeyState(q, admin.tenantId, id);
  if (!key) fail('ERR_NOT_FOUND', 'no such key');
  if (key.destroyed_at) fail('ERR_NOT_FOUND', 'this key was destroyed');
  if (key.key_type !== 'x25519') fail('ERR_UNSUPPORTED', 'an aes256 (XKS) key has one version and is not rotated');
  const next = (await keyRows.newestVersion(q, id)) + 1;
  const made = await makeKeyVersion(ctx.rootKey, admin.tenantId, id, next);
  await keyRows.insertVersion(q, admin.tenantId, id, next, made);
  await appendAudit(q, admin.tenantId, {
    actor: admin.userId,
    action: 'key.rotate',
    target: `${id}/${next}`,
    outcome: 'success',
    sourceIp,
  });
  return { keyId: id, version: next, publicKey: toB64(made.publicKey) };
}

export async function retire(ctx: BrokerContext, q: Sql, admin: Principal, id: string, version: number, sourceIp: string) {
  if (!(await keyRows.lockKey(q, admin.tenantId, id))) fail('ERR_NOT_FOUND', 'no such key');
  if ((await keyRows.newestVersion(q, id)) === version) fail('ERR_CONFLICT', 'the newest version cannot be retired: rotate first');
  const retiredAt = await keyRows.retireVersion(q, admin.tenantId, id, version);
  if (!retiredAt) fail('ERR_NOT_FOUND', 'no such version');
  await appendAudit(q, admin.tenantId, {
    actor: admin.userId,
    action: 'key.retire',
    target: `${id}/${version}`,
    outcome: 'success',
    sourceIp,
  });
  ctx.versionKeys.forget(admin.tenantId, id, version);
  return { keyId: id, version, retiredAt: iso(retiredAt) };
}

export interface Sealed {
  kind: SealedKind;
  version: number;
  enc: Uint8Array;
  ciphertext: Uint8Array;
  resource: string;
}

/** Opens a secret sealed to an older version and seals it to the newest; refusals are recorded too. */
export async function rewrap(
  ctx: BrokerContext,
  admin: Principal,
  id: string,
  s: Sealed,
  sourceIp: string,
): Promise<{ version: number; enc: Uint8Array; ciphertext: Uint8Array }> {
  let from: KeyVersionRow, to: KeyVersionRow, secret: Uint8Array;
  try {
    from = await keyRows.loadVersion(ctx.db, admin.tenantId, id, s.version);
    to = await keyRows.loadVersion(ctx.db, admin.tenantId, id, 'latest');
    secret = await ctx.versionKeys.open(from, s.kind, s.resource, { enc: s.enc, ciphertext: s.ciphertext });
  } catch (err) {
    // A rewrap refused (no such version, retired, destroyed, does not open) is recorded
    // too; without the target when it is not found (it may be another tenant's id).
    if (err instanceof SectorCryptError) {
      const target = err.code === 'ERR_NOT_FOUND' ? null : `${id}/${s.version}`;
      await ctx.db.tx((q) =>
        appendAudit(q, admin.tenantId, {
          actor: admin.userId,
          action: 'key.rewrap',
          target,
          outcome: 'failure',
          reasons: { code: err.code, kind: s.kind },
          sourceIp,
        }),
      );
    }
    throw err;
  }
  try {
    const sealed = await sealTo(to, s.kind, s.resource, secret);
    await ctx.db.tx((q) =>
      appendAudit(q, admin.tenantId, {
        actor: admin.userId,
        action: 'key.rewrap',
        target: `${id}/${from.version}->${to.version}`,
        outcome: 'success',
        sourceIp,
      }),
    );
    return { version: to.version, ...sealed };
  } finally {
    secret.fill(0);
  }
}

/** A destroy always waits for a second admin (separation/routes.ts confirms it, erase.ts does it). */
export async function requestDestroy(q: Sql, admin: Principal, id: string, sourceIp: string): Promise<PendingAnswer> {
  const key = await keyRows.keyState(q, admin.tenantId, id);
  if (!key) fail('ERR_NOT_FOUND', 'no such key');
  if (key.destroyed_at) fail('ERR_CONFLICT', 'this key is already destroyed');
  return requestAction(q, admin, { kind: 'key.destroy', target: id, reason: 'destroying a key always takes two admins' }, sourceIp);
}
