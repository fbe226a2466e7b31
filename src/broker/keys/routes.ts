/** Broker keys (docs/broker.md "Keys"): make, list, public key, rotate, retire, rewrap, destroy. Who may call each: http/routes.ts. */
import type { Endpoint } from '../http/endpoint.js';
import type { Principal } from '../auth/principal.js';
import { errorSchema } from '../http/errors.js';
import { b64, digits, fromB64, idParams, name, num, object, pendingActionSchema, toB64 } from '../http/schemas.js';
import type { SealedKind } from './version-keys.js';
import * as keys from './service.js';
import { createdKeyAnswer, keyAnswer, publicKeyAnswer } from '../../protocol/answers.js';
import { fail } from '../http/errors.js';

const publicAnswer = publicKeyAnswer;
const version = { type: 'integer', minimum: 1, maximum: 1_000_000 } as const;

/** type x25519 (default): a release key; aes256: an XKS key with its usage (docs/xks.md). */
export const createKey: Endpoint<Principal> = {
  schema: {
    body: object(
      {
        name,
        type: { enum: ['x25519', 'aes256'] },
        usage: { type: 'array', maxItems: 2, items: { enum: [...keys.KEY_USAGES] } },
      },
      ['name'],
    ),
    response: { 201: createdKeyAnswer, '4xx': errorSchema },
  },
  async handle(ctx, req, reply, admin) {
    const body = req.body as { name: string; type?: 'x25519' | 'aes256'; usage?: string[] };
    if (body.type === 'aes256') {
      if (body.usage === undefined) fail('ERR_ARGUMENT', 'an aes256 key needs its usage: a list of ENCRYPT, DECRYPT (may be empty)');
      return reply.status(201).send(await keys.createAes(ctx, admin, body.name, body.usage, req.ip));
    }
    if (body.usage !== undefined) fail('ERR_ARGUMENT', 'usage applies to aes256 keys only');
    return reply.status(201).send(await keys.create(ctx, admin, body.name, req.ip));
  },
};

const disabledAnswer = object({ keyId: { type: 'string' }, disabled: { type: 'boolean' }, disabledAt: { type: ['string', 'null'] } });

/** The XKS kill switch for one key, and its undoing. */
export const disableKey: Endpoint<Principal> = {
  schema: { params: idParams, response: { 200: disabledAnswer, '4xx': errorSchema } },
  async handle(ctx, req, _reply, admin) {
    return ctx.db.tx((tx) => keys.setDisabled(tx, admin, (req.params as { id: string }).id, true, req.ip));
  },
};

export const enableKey: Endpoint<Principal> = {
  schema: { params: idParams, response: { 200: disabledAnswer, '4xx': errorSchema } },
  async handle(ctx, req, _reply, admin) {
    return ctx.db.tx((tx) => keys.setDisabled(tx, admin, (req.params as { id: string }).id, false, req.ip));
  },
};

const keyList = object({ keys: { type: 'array', items: keyAnswer } });

export const listKeys: Endpoint<Principal> = {
  schema: { response: { 200: keyList, '4xx': errorSchema } },
  async handle(ctx, _req, _reply, who) {
    return keys.list(ctx.db, who.tenantId);
  },
};

/** A person of the tenant (Bearer) or one of its agents (signed request). */
export const publicKey: Endpoint<{ tenantId: string }> = {
  schema: { params: idParams, querystring: object({ version: digits }), response: { 200: publicAnswer, '4xx': errorSchema } },
  async handle(ctx, req, _reply, who) {
    return keys.publicKey(ctx.db, who.tenantId, (req.params as { id: string }).id, num((req.query as { version?: string }).version));
  },
};

export const rotateKey: Endpoint<Principal> = {
  schema: { params: idParams, response: { 200: publicAnswer, '4xx': errorSchema } },
  async handle(ctx, req, _reply, admin) {
    return ctx.db.tx((tx) => keys.rotate(ctx, tx, admin, (req.params as { id: string }).id, req.ip));
  },
};

export const retireKey: Endpoint<Principal> = {
  schema: {
    params: idParams,
    body: object({ version }, ['version']),
    response: {
      200: object({ keyId: { type: 'string' }, version: { type: 'integer' }, retiredAt: { type: 'string' } }),
      '4xx': errorSchema,
    },
  },
  async handle(ctx, req, _reply, admin) {
    return ctx.db.tx((tx) =>
      keys.retire(ctx, tx, admin, (req.params as { id: string }).id, (req.body as { version: number }).version, req.ip),
    );
  },
};

export const rewrapKey: Endpoint<Principal> = {
  schema: {
    params: idParams,
    body: object(
      {
        kind: { enum: ['envelope', 'luks2'] },
        version,
        enc: b64(44, 44),
        ciphertext: b64(4, 1024),
        resource: { type: 'string', minLength: 1, maxLength: 256 },
      },
      ['kind', 'version', 'enc', 'ciphertext'],
    ),
    response: {
      200: object({ keyId: { type: 'string' }, version: { type: 'integer' }, enc: { type: 'string' }, ciphertext: { type: 'string' } }),
      '4xx': errorSchema,
    },
  },
  async handle(ctx, req, _reply, admin) {
    const { id } = req.params as { id: string };
    const body = req.body as { kind: SealedKind; version: number; enc: string; ciphertext: string; resource?: string };
    const sealed = {
      kind: body.kind,
      version: body.version,
      enc: fromB64(body.enc),
      ciphertext: fromB64(body.ciphertext),
      resource: body.resource ?? '',
    };
    const out = await keys.rewrap(ctx, admin, id, sealed, req.ip);
    return { keyId: id, version: out.version, enc: toB64(out.enc), ciphertext: toB64(out.ciphertext) };
  },
};

export const destroyKey: Endpoint<Principal> = {
  schema: { params: idParams, response: { 202: pendingActionSchema, '4xx': errorSchema } },
  async handle(ctx, req, reply, admin) {
    return reply.status(202).send(await ctx.db.tx((tx) => keys.requestDestroy(tx, admin, (req.params as { id: string }).id, req.ip)));
  },
};
