/**
 * The key broker as a library: `Broker.init` makes a data folder and the operator token,
 * `Broker.open` opens the store, `listen` serves HTTPS, `close` drains and stops.
 */
import { VersionKeys } from './keys.js';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Store } from './store/types.js';
import { openStore } from './store/open.js';
import { appendAudit } from './store/audit.js';
import { SYSTEM_TENANT } from './store/migrations.js';
import { buildApp } from './app.js';
import { createDataDir, defaultDatabase, readDataDir } from './data-dir.js';
import { issueToken } from './routes/accounts.js';
import { newId } from './secrets.js';
import { signDueCheckpoints } from './audit-log.js';
import { backfillAuditTree } from './store/audit-backfill.js';

/** Sign a checkpoint once a log grew by this many records (checked every poll)... */
const CHECKPOINT_RECORDS = 256;
/** ...and at least this often for any log that grew. */
const CHECKPOINT_SECONDS = 60;
const CHECKPOINT_POLL_SECONDS = 5;

export interface BrokerInitOptions {
  dataDir: string;
  /** Extra DNS names or IP addresses for the server certificate. */
  names?: string[];
  /** pglite:DIR (default DIR/db) or postgres://... */
  database?: string;
  /** Lifetime of the operator token (default 365 days). */
  operatorTokenSeconds?: number;
}

export interface BrokerOpenOptions {
  dataDir: string;
  /** Overrides the store named in DIR/broker.json. */
  database?: string;
  /** Fastify logger options (the Authorization header is redacted); default off. */
  logger?: boolean | Record<string, unknown>;
  /** The clock (tests). */
  now?: () => Date;
}

export class Broker {
  readonly caPem: string;
  #store: Store;
  #app: FastifyInstance;
  #rootKey: Uint8Array;
  #versionKeys: VersionKeys | undefined;
  #url: string | undefined;
  #pruner: NodeJS.Timeout;
  #signer: NodeJS.Timeout;

  private constructor(store: Store, app: FastifyInstance, rootKey: Uint8Array, caPem: string) {
    this.#store = store;
    this.#app = app;
    this.#rootKey = rootKey;
    this.caPem = caPem;
    // A nonce older than twice the signature skew can go: a request carrying it again would
    // be refused as too old anyway (RFC 9421 section 7.2.2, created + 300 s either way).
    this.#pruner = setInterval(() => {
      store.query("DELETE FROM nonces WHERE seen_at < now() - interval '15 minutes'").catch(() => {});
    }, 60_000);
    this.#pruner.unref();
    // Checkpoints (CUSTODY.md "Audit log"): every CHECKPOINT_RECORDS records, checked often,
    // and every CHECKPOINT_SECONDS for any log that grew. GET /v1/audit/checkpoint signs on demand.
    let tick = 0;
    this.#signer = setInterval(() => {
      const force = ++tick % (CHECKPOINT_SECONDS / CHECKPOINT_POLL_SECONDS) === 0;
      signDueCheckpoints(store, rootKey, CHECKPOINT_RECORDS, force).catch(() => {});
    }, CHECKPOINT_POLL_SECONDS * 1000);
    this.#signer.unref();
  }

  /**
   * Makes the data folder and an operator with a token, shown here once (its hash is kept).
   * Several brokers may share one PostgreSQL: run init once per data folder and copy
   * root.key between them (every broker must hold the same root key).
   */
  static async init(opts: BrokerInitOptions): Promise<{ operatorToken: string; caFile: string }> {
    const database = opts.database ?? defaultDatabase(opts.dataDir);
    await createDataDir(opts.dataDir, opts.names ?? [], database);
    const store = await openStore(database);
    try {
      return { operatorToken: await createOperator(store, opts.operatorTokenSeconds ?? 365 * 86_400), caFile: join(opts.dataDir, 'ca.pem') };
    } finally {
      await store.close();
    }
  }

  /** init, then open on the same store connection (one PGlite start instead of two). */
  static async create(opts: BrokerInitOptions & Omit<BrokerOpenOptions, 'dataDir' | 'database'>): Promise<{ broker: Broker; operatorToken: string; caFile: string }> {
    const database = opts.database ?? defaultDatabase(opts.dataDir);
    await createDataDir(opts.dataDir, opts.names ?? [], database);
    const store = await openStore(database);
    try {
      const operatorToken = await createOperator(store, opts.operatorTokenSeconds ?? 365 * 86_400);
      return { broker: await Broker.#withStore(store, opts), operatorToken, caFile: join(opts.dataDir, 'ca.pem') };
    } catch (err) {
      await store.close();
      throw err;
    }
  }

  static async open(opts: BrokerOpenOptions): Promise<Broker> {
    const files = await readDataDir(opts.dataDir, opts.database);
    const store = await openStore(files.database);
    try {
      return await Broker.#withStore(store, opts);
    } catch (err) {
      await store.close();
      throw err;
    }
  }

  static async #withStore(store: Store, opts: Omit<BrokerOpenOptions, 'database'>): Promise<Broker> {
    const files = await readDataDir(opts.dataDir);
    await backfillAuditTree(store);
    const versionKeys = new VersionKeys(files.rootKey);
    const app = buildApp({ db: store, rootKey: files.rootKey, versionKeys, now: opts.now ?? (() => new Date()) }, { tls: files.tls, logger: opts.logger });
    const broker = new Broker(store, app, files.rootKey, files.caPem);
    broker.#versionKeys = versionKeys;
    return broker;
  }

  /** Another operator token (tests, or a lost one); shown once. */
  async createOperatorToken(seconds = 365 * 86_400): Promise<string> {
    return createOperator(this.#store, seconds);
  }

  /** Port 0 picks a free port. Resolves to the https:// URL once it accepts connections. */
  async listen(opts: { host?: string; port?: number } = {}): Promise<string> {
    const host = opts.host ?? '127.0.0.1';
    await this.#app.listen({ host, port: opts.port ?? 0 });
    const addr = this.#app.server.address();
    const port = typeof addr === 'object' && addr ? addr.port : opts.port;
    this.#url = `https://${host.includes(':') ? `[${host}]` : host}:${port}`;
    return this.#url;
  }

  get url(): string | undefined {
    return this.#url;
  }

  /** Stops taking connections, lets requests in flight finish, closes the store, wipes the root key. */
  async close(): Promise<void> {
    clearInterval(this.#pruner);
    clearInterval(this.#signer);
    await this.#app.close();
    await this.#store.close();
    this.#versionKeys?.clear();
    this.#rootKey.fill(0);
  }
}

async function createOperator(store: Store, seconds: number): Promise<string> {
  return store.tx(async (q) => {
    const existing = await q.query<{ id: string }>("SELECT id FROM users WHERE tenant_id = $1 AND name = 'operator'", [SYSTEM_TENANT]);
    let userId = existing[0]?.id;
    if (!userId) {
      userId = newId('usr');
      await q.query("INSERT INTO users (tenant_id, id, name, roles) VALUES ($1, $2, 'operator', $3)", [SYSTEM_TENANT, userId, ['operator']]);
      await appendAudit(q, SYSTEM_TENANT, { actor: 'broker', action: 'user.create', target: userId, outcome: 'success', reasons: { roles: ['operator'] } });
    }
    const tok = await issueToken(q, SYSTEM_TENANT, userId, seconds);
    await appendAudit(q, SYSTEM_TENANT, { actor: 'broker', action: 'token.create', target: tok.tokenId, outcome: 'success' });
    return tok.token;
  });
}
