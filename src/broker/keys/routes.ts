/** Broker keys (docs/broker.md "Keys"): make, list, public key, rotate, retire, rewrap. */
import type { FastifyInstance } from 'fastify';
import type { BrokerContext } from '../context.js';
import { authenticate, requireRole } from '../auth/authenticate.js';
import { verifyAgentRequest } from '../auth/agent-signature.js';
import { appendAudit } from '../audit/log.js';
import { newId } from '../auth/secrets.js';
import { errorSchema, fail } from '../http/errors.js';
import { b64, digits, fromB64, idParams, iso, name, num, object, toB64 } from '../http/schemas.js';
import { loadVersion, makeKeyVersion, sealTo, type KeyVersionRow, type SealedKind } from './version-keys.js';
import { SectorCryptError } from '../../errors.js';

const publicAnswer = object({ keyId: { type: 'string' }, version: { type: 'integer' }, publicKey: { type: 'string' } }, ['keyId', 'version', 'publicKey']);
const version = { type: 'integer', minimum: 1, maximum: 1_000_000 } as const;

export function keyRoutes(app: FastifyInstance, ctx: BrokerContext): void {
  app.post(
    '/v1/keys',
    { schema: { body: object({ name }, ['name']), response: { 201: publicAnswer, '4xx': errorSchema } } },
    async (req, reply) => {
      const admin = await requireRole(ctx.db, req, 'admin');
      const body = req.body as { name: string };
      const keyId = newId('key');
      const v1 = await makeKeyVersion(ctx.rootKey, admin.tenantId, keyId, 1);
      await ctx.db.tx(async (q) => {
        const taken = await q.query('SELECT 1 FROM broker_keys WHERE tenant_id = $1 AND name = $2', [admin.tenantId, body.name]);
        if (taken.length) fail('ERR_CONFLICT', `a key named ${body.name} exists`);
        await q.query('INSERT INTO broker_keys (tenant_id, id, name) VALUES ($1, $2, $3)', [admin.tenantId, keyId, body.name]);
        await q.query('INSERT INTO key_versions (tenant_id, key_id, version, public_key, sealed_secret) VALUES ($1, $2, 1, $3, $4)', [admin.tenantId, keyId, v1.publicKey, v1.sealed]);
        await appendAudit(q, admin.tenantId, { actor: admin.userId, action: 'key.create', target: `${keyId}/1`, outcome: 'success', sourceIp: req.ip });
      });
      return reply.status(201).send({ keyId, version: 1, publicKey: toB64(v1.publicKey) });
    },
  );

  app.get(
    '/v1/keys',
    {
      schema: {
        response: {
          200: object({
            keys: {
              type: 'array',
              items: object({
                keyId: { type: 'string' },
                name: { type: 'string' },
                createdAt: { type: 'string' },
                destroyed: { type: 'boolean' },
                versions: { type: 'array', items: object({ version: { type: 'integer' }, publicKey: { type: 'string' }, createdAt: { type: 'string' }, retired: { type: 'boolean' } }) },
              }),
            },
          }),
          '4xx': errorSchema,
        },
      },
    },
    async (req) => {
      const who = await requireRole(ctx.db, req, 'admin', 'approver');
      const rows = await ctx.db.query<Record<string, unknown>>(
        `SELECT k.id, k.name, k.created_at, k.destroyed_at, v.version, v.public_key, v.created_at AS v_created, v.retired_at
           FROM broker_keys k JOIN key_versions v ON v.key_id = k.id
          WHERE k.tenant_id = $1 ORDER BY k.created_at, k.id, v.version`,
        [who.tenantId],
      );
      const keys = new Map<string, { keyId: string; name: string; createdAt: string; destroyed: boolean; versions: unknown[] }>();
      for (const r of rows) {
        const id = r.id as string;
        if (!keys.has(id)) keys.set(id, { keyId: id, name: r.name as string, createdAt: iso(r.created_at), destroyed: r.destroyed_at != null, versions: [] });
        keys.get(id)!.versions.push({ version: Number(r.version), publicKey: toB64(new Uint8Array(r.public_key as Uint8Array)), createdAt: iso(r.v_created), retired: r.retired_at != null });
      }
      return { keys: [...keys.values()] };
    },
  );

  app.get(
    '/v1/keys/:id/public',
    {
      schema: {
        params: idParams,
        querystring: object({ version: digits }),
        response: { 200: publicAnswer, '4xx': errorSchema },
      },
    },
    async (req) => {
      // A person of the tenant (Bearer) or one of its agents (signed request).
      const tenantId = req.headers.authorization ? (await authenticate(ctx.db, req)).tenantId : (await verifyAgentRequest(ctx, req)).tenantId;
      const { id } = req.params as { id: string };
      const wanted = num((req.query as { version?: string }).version);
      if (wanted === 0) fail('ERR_ARGUMENT', 'versions start at 1');
      const v = await loadVersion(ctx.db, tenantId, id, wanted ?? 'latest');
      if (v.destroyed_at) fail('ERR_NOT_FOUND', 'this key was destroyed');
      if (wanted === undefined && v.retired_at) fail('ERR_NOT_FOUND', 'every version of this key is retired');
      return { keyId: v.key_id, version: v.version, publicKey: toB64(v.public_key) };
    },
  );

  app.post(
    '/v1/keys/:id/rotate',
    { schema: { params: idParams, response: { 200: publicAnswer, '4xx': errorSchema } } },
    async (req) => {
      const admin = await requireRole(ctx.db, req, 'admin');
      const { id } = req.params as { id: string };
      return ctx.db.tx(async (q) => {
        // The key row lock makes concurrent rotations take turns (no duplicate version).
        const keys = await q.query<{ destroyed_at: string | null }>('SELECT destroyed_at FROM broker_keys WHERE tenant_id = $1 AND id = $2 FOR UPDATE', [admin.tenantId, id]);
        if (!keys.length) fail('ERR_NOT_FOUND', 'no such key');
        if (keys[0]!.destroyed_at) fail('ERR_NOT_FOUND', 'this key was destroyed');
        const last = await q.query<{ v: number }>('SELECT max(version) AS v FROM key_versions WHERE key_id = $1', [id]);
        const next = Number(last[0]!.v) + 1;
        const made = await makeKeyVersion(ctx.rootKey, admin.tenantId, id, next);
        await q.query('INSERT INTO key_versions (tenant_id, key_id, version, public_key, sealed_secret) VALUES ($1, $2, $3, $4, $5)', [admin.tenantId, id, next, made.publicKey, made.sealed]);
        await appendAudit(q, admin.tenantId, { actor: admin.userId, action: 'key.rotate', target: `${id}/${next}`, outcome: 'success', sourceIp: req.ip });
        return { keyId: id, version: next, publicKey: toB64(made.publicKey) };
      });
    },
  );

  app.post(
    '/v1/keys/:id/retire',
    {
      schema: {
        params: idParams,
        body: object({ version }, ['version']),
        response: { 200: object({ keyId: { type: 'string' }, version: { type: 'integer' }, retiredAt: { type: 'string' } }), '4xx': errorSchema },
      },
    },
    async (req) => {
      const admin = await requireRole(ctx.db, req, 'admin');
      const { id } = req.params as { id: string };
      const { version: v } = req.body as { version: number };
      return ctx.db.tx(async (q) => {
        const keys = await q.query('SELECT 1 FROM broker_keys WHERE tenant_id = $1 AND id = $2 FOR UPDATE', [admin.tenantId, id]);
        if (!keys.length) fail('ERR_NOT_FOUND', 'no such key');
        const last = await q.query<{ v: number }>('SELECT max(version) AS v FROM key_versions WHERE key_id = $1', [id]);
        if (Number(last[0]!.v) === v) fail('ERR_CONFLICT', 'the newest version cannot be retired: rotate first');
        const rows = await q.query<{ retired_at: string }>(
          'UPDATE key_versions SET retired_at = coalesce(retired_at, now()) WHERE tenant_id = $1 AND key_id = $2 AND version = $3 RETURNING retired_at',
          [admin.tenantId, id, v],
        );
        if (!rows.length) fail('ERR_NOT_FOUND', 'no such version');
        await appendAudit(q, admin.tenantId, { actor: admin.userId, action: 'key.retire', target: `${id}/${v}`, outcome: 'success', sourceIp: req.ip });
        ctx.versionKeys.forget(admin.tenantId, id, v);
        return { keyId: id, version: v, retiredAt: iso(rows[0]!.retired_at) };
      });
    },
  );

  app.post(
    '/v1/keys/:id/rewrap',
    {
      schema: {
        params: idParams,
        body: object(
          { kind: { enum: ['envelope', 'luks2'] }, version, enc: b64(44, 44), ciphertext: b64(4, 1024), resource: { type: 'string', minLength: 1, maxLength: 256 } },
          ['kind', 'version', 'enc', 'ciphertext'],
        ),
        response: { 200: object({ keyId: { type: 'string' }, version: { type: 'integer' }, enc: { type: 'string' }, ciphertext: { type: 'string' } }), '4xx': errorSchema },
      },
    },
    async (req) => {
      const admin = await requireRole(ctx.db, req, 'admin');
      const { id } = req.params as { id: string };
      const body = req.body as { kind: SealedKind; version: number; enc: string; ciphertext: string; resource?: string };
      const resource = body.resource ?? '';
      let from: KeyVersionRow, to: KeyVersionRow, secret: Uint8Array;
      try {
        from = await loadVersion(ctx.db, admin.tenantId, id, body.version);
        to = await loadVersion(ctx.db, admin.tenantId, id, 'latest');
        secret = await ctx.versionKeys.open(from, body.kind, resource, { enc: fromB64(body.enc), ciphertext: fromB64(body.ciphertext) });
      } catch (err) {
        // A rewrap refused (no such version, retired, destroyed, does not open) is recorded
        // too; without the target when it is not found (it may be another tenant's id).
        if (err instanceof SectorCryptError) {
          const target = err.code === 'ERR_NOT_FOUND' ? null : `${id}/${body.version}`;
          await ctx.db.tx((q) =>
            appendAudit(q, admin.tenantId, { actor: admin.userId, action: 'key.rewrap', target, outcome: 'failure', reasons: { code: err.code, kind: body.kind }, sourceIp: req.ip }),
          );
        }
        throw err;
      }
      try {
        const sealed = await sealTo(to, body.kind, resource, secret);
        await ctx.db.tx((q) =>
          appendAudit(q, admin.tenantId, { actor: admin.userId, action: 'key.rewrap', target: `${id}/${from.version}->${to.version}`, outcome: 'success', sourceIp: req.ip }),
        );
        return { keyId: id, version: to.version, enc: toB64(sealed.enc), ciphertext: toB64(sealed.ciphertext) };
      } finally {
        secret.fill(0);
      }
    },
  );
}
