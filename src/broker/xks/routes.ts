/** Keystores and their credentials (docs/xks.md "Keystores"). Who may call each: http/routes.ts. */
import type { Endpoint } from '../http/endpoint.js';
import type { Principal } from '../auth/principal.js';
import { errorSchema } from '../http/errors.js';
import { idParams, id, name, object } from '../http/schemas.js';
import { xksCredentialAnswer, xksKeystoreAnswer } from '../../protocol/answers.js';
import { MAX_CA_PEM, MAX_COMMON_NAME } from './mtls.js';
import * as xks from './service.js';

const accessKeyParams = object({ id, accessKeyId: { type: 'string', pattern: '^[A-Z2-7]{20,30}$' } }, ['id', 'accessKeyId']);

export const createKeystore: Endpoint<Principal> = {
  schema: { body: object({ name }, ['name']), response: { 201: xksCredentialAnswer, '4xx': errorSchema } },
  async handle(ctx, req, reply, admin) {
    return reply.status(201).send(await xks.createKeystore(ctx, admin, (req.body as { name: string }).name, req.ip));
  },
};

export const listKeystores: Endpoint<Principal> = {
  schema: { response: { 200: object({ keystores: { type: 'array', items: xksKeystoreAnswer } }, ['keystores']), '4xx': errorSchema } },
  async handle(ctx, _req, _reply, who) {
    return xks.listKeystores(ctx.db, who.tenantId);
  },
};

export const rotateCredential: Endpoint<Principal> = {
  schema: { params: idParams, response: { 201: xksCredentialAnswer, '4xx': errorSchema } },
  async handle(ctx, req, reply, admin) {
    return reply.status(201).send(await xks.rotateCredential(ctx, admin, (req.params as { id: string }).id, req.ip));
  },
};

export const retireCredential: Endpoint<Principal> = {
  schema: { params: accessKeyParams, response: { 200: xksKeystoreAnswer, '4xx': errorSchema } },
  async handle(ctx, req, _reply, admin) {
    const p = req.params as { id: string; accessKeyId: string };
    return ctx.db.tx((q) => xks.retireCredential(q, admin, p.id, p.accessKeyId, req.ip));
  },
};

export const disableKeystore: Endpoint<Principal> = {
  schema: { params: idParams, response: { 200: xksKeystoreAnswer, '4xx': errorSchema } },
  async handle(ctx, req, _reply, admin) {
    return ctx.db.tx((q) => xks.setKeystoreDisabled(q, admin, (req.params as { id: string }).id, true, req.ip));
  },
};

export const enableKeystore: Endpoint<Principal> = {
  schema: { params: idParams, response: { 200: xksKeystoreAnswer, '4xx': errorSchema } },
  async handle(ctx, req, _reply, admin) {
    return ctx.db.tx((q) => xks.setKeystoreDisabled(q, admin, (req.params as { id: string }).id, false, req.ip));
  },
};

const mtlsBody = object(
  {
    subjectCommonName: { type: 'string', minLength: 1, maxLength: MAX_COMMON_NAME },
    caCertificates: { type: 'string', minLength: 1, maxLength: MAX_CA_PEM },
  },
  ['subjectCommonName', 'caCertificates'],
);

export const setMtls: Endpoint<Principal> = {
  schema: { params: idParams, body: mtlsBody, response: { 200: xksKeystoreAnswer, '4xx': errorSchema } },
  async handle(ctx, req, _reply, admin) {
    const body = req.body as { subjectCommonName: string; caCertificates: string };
    return ctx.db.tx((q) => xks.setMtls(q, admin, (req.params as { id: string }).id, body, req.ip));
  },
};

export const clearMtls: Endpoint<Principal> = {
  schema: { params: idParams, response: { 200: xksKeystoreAnswer, '4xx': errorSchema } },
  async handle(ctx, req, _reply, admin) {
    return ctx.db.tx((q) => xks.clearMtls(q, admin, (req.params as { id: string }).id, req.ip));
  },
};
