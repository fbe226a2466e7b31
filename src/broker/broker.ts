/**
 * The key broker as a library: `Broker.init` makes a data folder and the operator token,
 * `Broker.open` opens the store, `listen` serves HTTPS, `close` drains and stops.
 */
import { VersionKeys } from './keys/version-keys.js';
import { DeviceCache } from './auth/device-cache.js';
import { ReleaseRecorder } from './release/recorder.js';
import { ReleaseAdmissions } from './release/admissions.js';
import { XksLookups } from './xks/lookups.js';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Store } from './store/types.js';
import { openStore } from './store/open.js';
import { withAfterCommit } from './store/after-commit.js';
import { buildApp } from './http/app.js';
import { createDataDir, defaultDatabase, readDataDir } from './data-dir/files.js';
import { createOperator } from './accounts/operator-token.js';
import { prune } from './auth/repository.js';
import { pruneLogins } from './oidc/repository.js';
import { signedCheckpoints } from './audit/checkpoints.js';
import { SectorCryptError } from '../errors.js';
import { CheckpointSigner, DEFAULT_CHECKPOINTS, type CheckpointSchedule } from './audit/checkpoint-signer.js';
import { backfillAuditTree } from './audit/backfill.js';
import { DEFAULT_RETENTION_DAYS } from './audit/retention.js';
import { RateLimiter, type RateLimitOptions } from './http/rate-limit.js';
import { settleRootKey } from './root-key/check.js';
import { guardRootKey } from './root-key/guard.js';
import { finishRenames } from './root-key/files.js';
import { certificateDates, certificateStatus, type CertificateStatus } from './data-dir/cert-status.js';
import type { BrokerContext } from './context.js';
import { XKS_TLS_OPTIONS } from './xks/mtls.js';
import { createSecureContext, type Server as TlsServer } from 'node:tls';

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
  /** Audit checkpoints every N records or T seconds (default 256 records, 60 seconds). */
  checkpoints?: Partial<CheckpointSchedule>;
  /** Audit records younger than this stay in the log (default 365 days, docs/audit.md "Retention and archive segments"). */
  auditRetentionDays?: number;
  /**
   * Requests per second and burst, per device, per API token and per source IP (http/rate-limit.ts
   * has the defaults); false turns every limit off. Over the limit: 429 ERR_RATE_LIMITED.
   */
  rateLimits?: RateLimitOptions | false;
}

export class Broker {
  readonly caPem: string;
  #store: Store;
  #app: FastifyInstance;
  #rootKey: Uint8Array;
  #versionKeys: VersionKeys | undefined;
  #url: string | undefined;
  #pruner: NodeJS.Timeout;
  #signer: CheckpointSigner;
  #dataDir = '';
  #ctx: Pick<BrokerContext, 'certificates' | 'now'> = { now: () => new Date() };
  /** The XKS listener's app (listenXks), when there is one. */
  #xksApp: FastifyInstance | undefined;
  #xksUrl: string | undefined;
  #build: ((tls: { key: string; cert: string }) => FastifyInstance) | undefined;

  private constructor(store: Store, app: FastifyInstance, rootKey: Uint8Array, caPem: string, signer: CheckpointSigner) {
    this.#store = store;
    this.#signer = signer;
    this.#app = app;
    this.#rootKey = rootKey;
    this.caPem = caPem;
    // Spent nonces and expired console sessions (auth/repository.ts prune), and sign-ins
    // through a provider an hour past their expiry (oidc/repository.ts).
    this.#pruner = setInterval(() => {
      void prune(store);
      void pruneLogins(store).catch(() => {});
    }, 60_000);
    this.#pruner.unref();
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
      return {
        operatorToken: await createOperator(store, opts.operatorTokenSeconds ?? 365 * 86_400),
        caFile: join(opts.dataDir, 'ca.pem'),
      };
    } finally {
      await store.close();
    }
  }

  /** init, then open on the same store connection (one PGlite start instead of two). */
  static async create(
    opts: BrokerInitOptions & Omit<BrokerOpenOptions, 'dataDir' | 'database'>,
  ): Promise<{ broker: Broker; operatorToken: string; caFile: string }> {
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
    await finishRenames(opts.dataDir); // a root key rotation stopped between its renames
    const files = await readDataDir(opts.dataDir, opts.database);
    files.rootKey.fill(0); // only the database is wanted here; #withStore reads the folder again
    const store = await openStore(files.database);
    try {
      return await Broker.#withStore(store, opts);
    } catch (err) {
      await store.close();
      throw err;
    }
  }

  static async #withStore(opened: Store, opts: Omit<BrokerOpenOptions, 'database'>): Promise<Broker> {
    const files = await readDataDir(opts.dataDir);
    // root.key must be the key the database names (ERR_ROOT_KEY_MISMATCH otherwise); after a
    // rotation elsewhere, the running broker re-reads it (root-key/guard.ts).
    await settleRootKey(opened, opts.dataDir, files.rootKey);
    const store = guardRootKey(opened, opts.dataDir, files.rootKey);
    await backfillAuditTree(store);
    const retentionDays = opts.auditRetentionDays ?? DEFAULT_RETENTION_DAYS;
    if (!Number.isInteger(retentionDays) || retentionDays < 1)
      throw new SectorCryptError('ERR_ARGUMENT', 'the audit retention is a whole number of days, at least 1');
    const schedule = { ...DEFAULT_CHECKPOINTS, ...opts.checkpoints };
    if (!Number.isInteger(schedule.everyRecords) || schedule.everyRecords < 1 || !(schedule.everySeconds > 0)) {
      throw new SectorCryptError('ERR_ARGUMENT', 'checkpoints come every N >= 1 records and T > 0 seconds');
    }
    // Checkpoints (docs/audit.md): signed after appends and on a timer; GET
    // /v1/audit/checkpoint also signs on demand.
    const signer = new CheckpointSigner(store, files.rootKey, schedule);
    const versionKeys = new VersionKeys(files.rootKey);
    const db = withAfterCommit(signer.watch(store));
    const limits = opts.rateLimits === false ? undefined : new RateLimiter(opts.rateLimits);
    const hot = {
      versionKeys,
      devices: new DeviceCache(),
      admissions: new ReleaseAdmissions(db),
      releases: new ReleaseRecorder(db),
      xksLookups: new XksLookups(db),
    };
    const certificates = certificateDates(files.tls.cert, files.caPem);
    const ctx = {
      db,
      rootKey: files.rootKey,
      ...hot,
      now: opts.now ?? (() => new Date()),
      auditRetentionDays: retentionDays,
      limits,
      certificates,
    };
    const app = buildApp(ctx, { tls: files.tls, logger: opts.logger });
    signer.onError = (err) => app.log.error({ err }, 'signing an audit checkpoint failed');
    const broker = new Broker(store, app, files.rootKey, files.caPem, signer);
    broker.#versionKeys = versionKeys;
    broker.#dataDir = opts.dataDir;
    broker.#ctx = ctx;
    broker.#build = (tls) => buildApp(ctx, { tls, logger: opts.logger, xksListener: true });
    return broker;
  }

  /** Waits for the checkpoints scheduled so far to be signed (tests, monitoring). */
  checkpointsSettled(): Promise<void> {
    return this.#signer.settled();
  }

  /** The checkpoints signed so far for the tenant's log, by size (monitoring, tests; notes are public). */
  async signedCheckpoints(tenantId: string): Promise<{ size: number; note: string }[]> {
    return signedCheckpoints(this.#store, tenantId);
  }

  /** Another operator token (tests, or a lost one); shown once. */
  async createOperatorToken(seconds = 365 * 86_400): Promise<string> {
    return createOperator(this.#store, seconds);
  }

  /** How long the server certificate and the CA have left, with a warning within 30 days of either. */
  certificateStatus(): CertificateStatus {
    return certificateStatus(this.#ctx.certificates!, this.#ctx.now());
  }

  /**
   * Serves DATA/server.pem and server.key from now on (after `broker cert renew`; `broker
   * serve` calls it on SIGHUP). New connections get the new certificate; open ones keep theirs.
   */
  async reloadCertificate(): Promise<CertificateStatus> {
    const files = await readDataDir(this.#dataDir);
    files.rootKey.fill(0);
    // Throws (and the old certificate stays) when the key does not match the certificate.
    createSecureContext(files.tls);
    (this.#app.server as unknown as TlsServer).setSecureContext(files.tls);
    // The XKS listener's secure options go with its context (a new context would drop them).
    (this.#xksApp?.server as unknown as TlsServer | undefined)?.setSecureContext({
      ...files.tls,
      secureOptions: XKS_TLS_OPTIONS.secureOptions,
    });
    this.#ctx.certificates = certificateDates(files.tls.cert, files.caPem);
    return this.certificateStatus();
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

  /**
   * A second HTTPS listener for the XKS API alone (docs/xks.md "Mutual TLS"): the same server
   * certificate, every client asked for a certificate, only the /xks/ routes (anything else
   * is 404). Keystores with mutual TLS are served only here. Resolves to its https:// URL.
   */
  async listenXks(opts: { host?: string; port?: number } = {}): Promise<string> {
    if (this.#xksApp) throw new SectorCryptError('ERR_ARGUMENT', 'the XKS listener is already open');
    const files = await readDataDir(this.#dataDir);
    files.rootKey.fill(0);
    const app = this.#build!(files.tls);
    const host = opts.host ?? '127.0.0.1';
    try {
      await app.listen({ host, port: opts.port ?? 0 });
    } catch (err) {
      await app.close();
      throw err;
    }
    this.#xksApp = app;
    const addr = app.server.address();
    const port = typeof addr === 'object' && addr ? addr.port : opts.port;
    this.#xksUrl = `https://${host.includes(':') ? `[${host}]` : host}:${port}`;
    return this.#xksUrl;
  }

  get xksUrl(): string | undefined {
    return this.#xksUrl;
  }

  /** Stops taking connections, lets requests in flight finish, closes the store, wipes the root key. */
  async close(): Promise<void> {
    clearInterval(this.#pruner);
    await this.#xksApp?.close();
    await this.#app.close();
    await this.#signer.close();
    await this.#store.close();
    this.#versionKeys?.clear();
    this.#rootKey.fill(0);
  }
}
