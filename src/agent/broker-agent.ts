/**
 * The agent side of the release protocol (docs/broker.md "Enrolling agents").
 * Every request after enrollment is signed with the device key (RFC 9421, with an RFC 9530
 * content-digest); every secret comes back sealed to a one-time X25519 reply key that lives
 * in memory only for that request.
 */
import { generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import { withRetries, type RetryNote } from './retry.js';
import { dropPending, findPending, pendingKey, savePending } from './pending-store.js';
import { SectorCryptError } from '../errors.js';
import { hpkeOpenWith, hpkeX25519Recipient, type HpkeRecipient } from '../keys/hpke.js';
import { ed25519SigningKey } from '../keys/ed25519.js';
import { signRequest } from '../http-signature/index.js';
import { PinnedHttps, answerError, type HttpAnswer } from './https.js';
import { prepareStateDir, readState, removeEmptyStateDir, writeState, type AgentState } from './state.js';
import { signEnrollment } from './enroll-proof.js';
import { claimsProvider } from './claims/provider.js';
import { collectAttestations } from './attest/collect.js';
import type { ClaimsConfig } from './claims/config.js';
import { deniedMessage } from './denied-message.js';
import { BODY_LIMIT, REPLY_INFO as REPLY_INFO_TEXT } from '../protocol/constants.js';
import type { CloudDocuments } from '../protocol/documents.js';
import {
  releaseBinding,
  TPM_BODY_LIMIT,
  type TpmChallengeAnswer,
  type TpmCredentialAnswer,
  type TpmEvidenceBody,
} from '../protocol/tpm.js';
import { loadAkRecord, quoteQualifyingData, readEventLogs, saveAkRecord, TpmDriver, type AkRecord } from './attest/tpm/index.js';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';

export interface AgentEnrollOptions {
  url: string;
  /** The broker's CA certificate (PEM): the only one this agent will trust. */
  ca: string;
  token: string;
  stateDir: string;
  device: { name: string } & Record<string, string | number | boolean>;
  /**
   * Groups this machine expects to join. The broker takes the groups from the token only;
   * when the token does not grant one of these, enrollment fails with ERR_FORBIDDEN and
   * nothing is enrolled (the token's use is not spent).
   */
  expectGroups?: string[];
  /**
   * Enroll with this machine's TPM 2.0 (`agent enroll --tpm [TCTI]`): true for the kernel's
   * resource manager (/dev/tpmrm0), or a TCTI string (`swtpm:host=127.0.0.1,port=2321`). An
   * attestation key is made in the TPM, the broker checks the EK certificate and runs
   * credential activation; afterwards this device releases only with TPM quotes.
   */
  tpm?: string | true;
  /** The AK's algorithm (default ecc: P-256 with ECDSA-SHA256). */
  tpmAkAlg?: 'ecc' | 'rsa';
}

/** Where a TPM device reads its event logs (default: the kernel's securityfs files). */
export interface AgentTpmOptions {
  /** Another TCTI than the one recorded at enrollment (tpm.json). */
  tcti?: string;
  eventLogs?: { uefi?: string; ima?: string };
}

type Provider<T> = T | (() => T | Promise<T>);

export interface AgentLoadOptions {
  stateDir: string;
  /**
   * identity.* and integrity.* claims, or a function that gathers them for each request;
   * 'auto' (every built-in collector) or a claims config ({collectors, exec}) collects them
   * afresh for each request (src/agent/claims).
   */
  claims?: Provider<{ identity?: Record<string, unknown>; integrity?: Record<string, unknown> }> | 'auto' | ClaimsConfig;
  /** Attestation JWTs, or a function that fetches fresh ones. */
  attestations?: Provider<string[]>;
  /**
   * Signed cloud documents (AWS instance identity document with its PKCS#7, Azure attested
   * data), or a function that fetches fresh ones; checked by the broker against the
   * certificates of the tenant's trusted issuers of kind aws / azure.
   */
  documents?: Provider<CloudDocuments>;
  wait?: boolean;
  timeoutMs?: number;
  /** How often a waiting unwrap asks again (default 2000 ms). */
  pollMs?: number;
  /** Called once when a waiting unwrap starts to wait for approval (to tell the person at the console). */
  onPending?: (pending: { requestId: string; expiresAt?: string; resumed?: boolean }) => void;
  /** Called before a waiting call asks again after a connection failure, 502, 503, 504 or 429. */
  onRetry?: (note: RetryNote) => void;
  /** For a device enrolled with a TPM (its state folder holds tpm.json). */
  tpm?: AgentTpmOptions;
}

/** A broker stanza or LUKS2 token: bytes, or standard base64. */
/** Signed cloud documents as the release request carries them (see src/agent/attest). */
export type { CloudDocuments };

export interface SealedSecret {
  keyId: string;
  version: number;
  enc: Uint8Array | string;
  ciphertext: Uint8Array | string;
}

export interface UnwrapOptions {
  resource: string;
  /** Default: luks2 when the resource is luks2:..., else envelope. */
  kind?: 'envelope' | 'luks2';
  wait?: boolean;
  timeoutMs?: number;
  pollMs?: number;
}

type Answer = { requestId: string; decision: string; enc?: string; ciphertext?: string; expiresAt?: string; reasons?: unknown[] };

const REPLY_INFO = new TextEncoder().encode(REPLY_INFO_TEXT);
const b64 = (b: Uint8Array | string) => (typeof b === 'string' ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('base64'));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const CONFIG_KEYS = new Set(['collectors', 'exec', 'attestations']);

/** A claims config names collectors, exec commands or attestations; plain claims name identity/integrity. */
function isClaimsConfig(v: unknown): v is ClaimsConfig {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const keys = Object.keys(v);
  return keys.length > 0 && keys.every((k) => CONFIG_KEYS.has(k));
}

export class BrokerAgent {
  readonly #state: AgentState;
  readonly #http: PinnedHttps;
  readonly #opts: Omit<AgentLoadOptions, 'stateDir'>;
  /** The device key, imported once: every request is signed with it. */
  readonly #signingKey: KeyObject;
  /** Reply keys of requests still pending, with their request ids (key objects: no raw secret in JS memory). */
  readonly #pending = new Map<HpkeRecipient, string>();
  /** The state folder, where pending requests are kept (pending.json) so another run resumes them. */
  #stateDir: string | undefined;
  /** Requests this object is waiting on right now: what withdrawWaiting() withdraws. */
  readonly #waiting = new Set<string>();

  /** A device enrolled with a TPM: its AK and the driver that quotes with it. */
  #tpm: { ak: AkRecord; driver: TpmDriver } | undefined;

  /** The cloud evidence of each request: the caller's providers, or one fetch of the config's clouds. */
  readonly #evidence: () => Promise<{ attestations?: string[]; documents?: CloudDocuments }>;

  private constructor(
    state: AgentState,
    opts: Omit<AgentLoadOptions, 'stateDir'>,
    evidence?: () => Promise<{ attestations: string[]; documents: CloudDocuments }>,
  ) {
    this.#state = state;
    this.#signingKey = ed25519SigningKey(state.secretKey);
    this.#http = new PinnedHttps(state.caPem);
    this.#opts = opts;
    const given = async <T>(p: Provider<T> | undefined): Promise<T | undefined> =>
      typeof p === 'function' ? (p as () => T | Promise<T>)() : p;
    this.#evidence =
      evidence ??
      (async () => {
        const [attestations, documents] = await Promise.all([given(opts.attestations), given(opts.documents)]);
        return { attestations, documents };
      });
  }

  get deviceId(): string {
    return this.#state.device.deviceId;
  }

  /** The broker this agent is enrolled with (threshold members are routed by it). */
  get url(): string {
    return this.#state.device.url;
  }

  get groups(): string[] {
    return [...this.#state.device.groups];
  }

  /** Makes the device key, proves it holds it, and writes the state folder. */
  static async enroll(opts: AgentEnrollOptions): Promise<BrokerAgent> {
    const url = opts.url.replace(/\/+$/, '');
    const pair = generateKeyPairSync('ed25519');
    const jwk = pair.privateKey.export({ format: 'jwk' });
    const secretKey = new Uint8Array(Buffer.from(jwk.d!, 'base64url'));
    const publicKey = new Uint8Array(Buffer.from(jwk.x!, 'base64url'));
    // Checked before the token is spent: a used or read-only folder enrolls nothing.
    const { created } = await prepareStateDir(opts.stateDir);
    const driver = opts.tpm !== undefined ? new TpmDriver({ tcti: opts.tpm }) : undefined;
    const http = new PinnedHttps(opts.ca);
    let enrolled = false;
    let ak: AkRecord | undefined;
    try {
      // The TPM first, also before the token is spent: no EK certificate, no enrollment.
      let tpm: { ekCertificate: string; ekPublic: string; akPublic: string } | undefined;
      if (driver) {
        const endorsement = await driver.readEndorsement();
        ak = await driver.createAk(endorsement.alg, opts.tpmAkAlg ?? 'ecc');
        tpm = { ekCertificate: b64(endorsement.certificate), ekPublic: b64(endorsement.public), akPublic: ak.public };
      }
      const body = JSON.stringify({
        token: opts.token,
        publicKey: b64(publicKey),
        proof: b64(signEnrollment(opts.token, secretKey, publicKey)),
        device: opts.device,
        ...(opts.expectGroups?.length ? { expectGroups: [...new Set(opts.expectGroups)] } : {}),
        ...(tpm ? { tpm } : {}),
      });
      const answer = await http.send('POST', `${url}/v1/agent/enroll`, { 'content-type': 'application/json' }, Buffer.from(body));
      if (answer.status !== 201) throw answerError(answer);
      const a = answer.body as { deviceId: string; tenantId: string; groups: string[]; tpm?: TpmCredentialAnswer };
      enrolled = true;
      const state: AgentState = {
        secretKey,
        caPem: opts.ca,
        device: { deviceId: a.deviceId, tenantId: a.tenantId, url, groups: a.groups, publicKey: b64(publicKey) },
      };
      try {
        await writeState(opts.stateDir, state);
        // writeState removes what it wrote when it fails; these files are ours only once it succeeded.
        if (ak)
          await saveAkRecord(opts.stateDir, ak).catch(async (err: unknown) => {
            await Promise.all(['device.key', 'device.json', 'ca.pem'].map((f) => rm(join(opts.stateDir, f), { force: true })));
            throw err;
          });
      } catch (cause) {
        if (created) await removeEmptyStateDir(opts.stateDir);
        const agent = new BrokerAgent({ ...state, secretKey: new Uint8Array(secretKey) }, {});
        const err = await agent.#undoEnrollment(opts.stateDir, cause);
        secretKey.fill(0);
        throw err;
      }
      const agent = new BrokerAgent(state, {});
      if (driver && ak) {
        if (!a.tpm) throw new SectorCryptError('ERR_TPM', 'the broker enrolled this device without its TPM (no credential to activate)');
        await agent.#activate(driver, ak, a.tpm, opts.stateDir, created);
        agent.#tpm = { ak, driver };
      }
      return agent;
    } catch (err) {
      if (!enrolled && created) await removeEmptyStateDir(opts.stateDir);
      // The AK of an enrollment that did not happen leaves the TPM again.
      if (!enrolled && driver && ak) await driver.evictAk(ak).catch(() => undefined);
      throw err;
    } finally {
      http.close();
    }
  }

  /**
   * Credential activation (TPM 2.0 Part 1 §24): the TPM opens the broker's credential, which it
   * can only for an AK it holds under the certified EK, and the agent proves the secret.
   * When that fails the device revokes itself, its AK is evicted and its state removed.
   */
  async #activate(driver: TpmDriver, ak: AkRecord, credential: TpmCredentialAnswer, stateDir: string, created: boolean): Promise<void> {
    let secret: Uint8Array | undefined;
    try {
      secret = await driver.activateCredential(
        ak,
        new Uint8Array(Buffer.from(credential.idObject, 'base64')),
        new Uint8Array(Buffer.from(credential.encryptedSecret, 'base64')),
      );
      const answer = await this.#signed('POST', '/v1/agent/tpm/activate', { challengeId: credential.challengeId, secret: b64(secret) });
      if (answer.status !== 200) throw answerError(answer);
    } catch (err) {
      await this.#signed('POST', '/v1/agent/revoke').catch(() => undefined);
      await driver.evictAk(ak).catch(() => undefined);
      await Promise.all(['device.key', 'device.json', 'ca.pem', 'tpm.json'].map((f) => rm(join(stateDir, f), { force: true })));
      if (created) await removeEmptyStateDir(stateDir);
      this.close();
      throw new SectorCryptError('ERR_TPM', `TPM credential activation failed (${(err as Error).message}): the device was revoked`, {
        cause: err,
      });
    } finally {
      secret?.fill(0);
    }
  }

  /**
   * The broker enrolled this device but its state could not be written: the device revokes
   * itself (a signed call), so no orphan device is left that nobody holds the key of.
   */
  async #undoEnrollment(stateDir: string, cause: unknown): Promise<SectorCryptError> {
    const why = `${(cause as NodeJS.ErrnoException).code ?? (cause as Error).message}`;
    try {
      const answer = await this.#signed('POST', '/v1/agent/revoke');
      if (answer.status !== 200) throw answerError(answer);
      return new SectorCryptError(
        'ERR_IO',
        `the broker enrolled device ${this.deviceId}, but its state could not be written to ${stateDir} (${why}); the device revoked itself: enroll again with a new token`,
        { cause },
      );
    } catch (err) {
      return new SectorCryptError(
        'ERR_IO',
        `the broker enrolled device ${this.deviceId}, but its state could not be written to ${stateDir} (${why}) and revoking it failed (${(err as Error).message}): revoke it with \`sectorcrypt broker device revoke ${this.deviceId}\``,
        { cause },
      );
    } finally {
      this.close();
    }
  }

  static async load(opts: AgentLoadOptions): Promise<BrokerAgent> {
    const { stateDir, ...rest } = opts;
    // A collectors config becomes a provider now, so a bad one fails at load, not at unwrap.
    if (rest.claims === 'auto' || isClaimsConfig(rest.claims)) {
      const config = rest.claims;
      rest.claims = claimsProvider(config);
      // The config's cloud evidence goes along (Google Cloud JWTs, AWS and Azure signed
      // documents), fetched once per request, unless the caller gives its own.
      if (config !== 'auto' && config.attestations && rest.attestations === undefined && rest.documents === undefined) {
        const cloud = config.attestations;
        return await new BrokerAgent(await readState(stateDir), rest, async () => {
          const {
            attestations,
            documents: { aws, azure },
          } = await collectAttestations(cloud);
          return {
            attestations,
            documents: {
              ...(aws ? { aws: { document: aws.document, pkcs7: aws.pkcs7 } } : {}),
              ...(azure ? { azure: { signature: azure.signature } } : {}),
            },
          };
        }).#at(stateDir);
      }
    }
    return new BrokerAgent(await readState(stateDir), rest).#at(stateDir);
  }

  #at(stateDir: string): Promise<this> {
    this.#stateDir = stateDir;
    return this.#loadTpm(stateDir);
  }

  /** A state folder with tpm.json is a TPM device: every release carries a quote. */
  async #loadTpm(stateDir: string): Promise<this> {
    let ak: AkRecord;
    try {
      ak = await loadAkRecord(stateDir);
    } catch (err) {
      if (err instanceof SectorCryptError && err.code === 'ERR_NOT_FOUND') return this;
      throw err;
    }
    this.#tpm = { ak, driver: new TpmDriver({ tcti: this.#opts.tpm?.tcti ?? ak.tcti }) };
    return this;
  }

  /** Whether this device was enrolled with a TPM. */
  get tpm(): boolean {
    return this.#tpm !== undefined;
  }

  /**
   * The TPM evidence of one release: a fresh challenge, a quote bound to it and to this
   * request (protocol/tpm.ts releaseBinding), the PCR values, and the event logs read after
   * the quote (an IMA log only grows: the broker replays the prefix the quote covers).
   */
  async #tpmEvidence(request: Parameters<typeof releaseBinding>[0]): Promise<TpmEvidenceBody> {
    const { ak, driver } = this.#tpm!;
    const answer = await this.#signed('POST', '/v1/agent/tpm/challenge');
    if (answer.status !== 200) throw answerError(answer);
    const c = answer.body as TpmChallengeAnswer;
    const nonce = new Uint8Array(Buffer.from(c.nonce, 'base64'));
    const quote = await driver.quote(ak, c.pcrs, quoteQualifyingData(nonce, releaseBinding(request)));
    const logs = await readEventLogs(this.#opts.tpm?.eventLogs ?? {});
    return {
      challengeId: c.challengeId,
      attest: b64(quote.attest),
      signature: b64(quote.signature),
      pcrs: [...quote.pcrs].map(([pcr, v]) => ({ pcr, sha256: Buffer.from(v).toString('hex') })),
      ...(logs.uefi ? { uefiLog: b64(logs.uefi) } : {}),
      ...(logs.ima ? { imaLog: b64(logs.ima) } : {}),
    };
  }

  /** A signed request (RFC 9421: @method, @target-uri, content-digest; created, nonce, keyid). */
  async #signed(method: 'GET' | 'POST', path: string, body?: unknown): Promise<HttpAnswer> {
    const url = `${this.#state.device.url}${path}`;
    const bytes = body === undefined ? undefined : new Uint8Array(Buffer.from(JSON.stringify(body)));
    const sigHeaders = signRequest({
      method,
      url,
      body: bytes ?? new Uint8Array(),
      keyId: this.deviceId,
      secretKey: this.#signingKey,
      nonce: randomBytes(16).toString('base64url'),
    });
    const headers: Record<string, string> = { ...sigHeaders };
    if (bytes) headers['content-type'] = 'application/json';
    return this.#http.send(method, url, headers, bytes);
  }

  /**
   * A signed request; with `until` (a waiting call), a connection failure or a 502, 503, 504
   * or 429 answer is asked again, with capped jittered backoff (retry.ts), as long as that is
   * before `until` (Date.now() milliseconds). Each attempt is signed afresh (a new nonce).
   */
  async #call(method: 'GET' | 'POST', path: string, body: unknown, until?: number): Promise<HttpAnswer> {
    const make = typeof body === 'function' ? (body as () => Promise<unknown>) : async () => body;
    if (until === undefined) return this.#signed(method, path, await make());
    return withRetries(async () => this.#signed(method, path, await make()), until, this.#opts.onRetry);
  }

  /** The newest usable public key of a broker key (to seal to it offline). */
  async publicKey(keyId: string): Promise<{ keyId: string; version: number; publicKey: Uint8Array }> {
    const answer = await this.#signed('GET', `/v1/keys/${encodeURIComponent(keyId)}/public`);
    if (answer.status !== 200) throw answerError(answer);
    const a = answer.body as { keyId: string; version: number; publicKey: string };
    return { keyId: a.keyId, version: a.version, publicKey: new Uint8Array(Buffer.from(a.publicKey, 'base64')) };
  }

  /**
   * Asks the broker to release a sealed secret. Returns the secret (the caller wipes it),
   * or throws ERR_DENIED (err.reasons), ERR_PENDING (err.requestId) or ERR_EXPIRED.
   */
  async unwrap(sealed: SealedSecret, opts: UnwrapOptions): Promise<Uint8Array> {
    const kind = opts.kind ?? (opts.resource.startsWith('luks2:') ? 'luks2' : 'envelope');
    const wait = opts.wait ?? this.#opts.wait ?? false;
    const timeoutMs = opts.timeoutMs ?? this.#opts.timeoutMs ?? 15 * 60_000;
    const pollMs = opts.pollMs ?? this.#opts.pollMs ?? 2000;
    const deadline = Date.now() + timeoutMs;
    const key = pendingKey({
      keyId: sealed.keyId,
      version: sealed.version,
      resource: opts.resource,
      enc: b64(sealed.enc),
      ciphertext: b64(sealed.ciphertext),
    });
    // A request an earlier run left pending is asked about again, not filed twice.
    const resumed = await this.#resume(key, wait, deadline, pollMs);
    if (resumed) return resumed;
    const replySecret = new Uint8Array(randomBytes(32));
    const reply = hpkeX25519Recipient(replySecret);
    const claims = typeof this.#opts.claims === 'function' ? await this.#opts.claims() : (this.#opts.claims as object | undefined);
    const { attestations, documents } = await this.#evidence();
    const body = {
      kind,
      keyId: sealed.keyId,
      version: sealed.version,
      enc: b64(sealed.enc),
      ciphertext: b64(sealed.ciphertext),
      resource: opts.resource,
      ...(claims ? { claims } : {}),
      ...(attestations?.length ? { attestations } : {}),
      ...(documents && (documents.aws || documents.azure) ? { documents } : {}),
      replyKey: b64(reply.publicKey),
    };
    // A TPM device quotes for each attempt: a challenge is spent once, also by a failed try.
    const limit = this.#tpm ? TPM_BODY_LIMIT : BODY_LIMIT;
    const make = async () => {
      const full = this.#tpm ? { ...body, tpm: await this.#tpmEvidence(body) } : body;
      const size = Buffer.byteLength(JSON.stringify(full));
      if (size > limit)
        throw new SectorCryptError(
          'ERR_ARGUMENT',
          `the release request is ${size} bytes, over the broker's limit of ${limit}: fewer or smaller claims, attestations and event logs`,
        );
      return full;
    };
    const answer = await this.#call('POST', '/v1/agent/unwrap', make, wait ? deadline : undefined);
    if (answer.status === 202 && this.#stateDir) {
      const a = answer.body as Answer;
      await savePending(this.#stateDir, key, {
        requestId: a.requestId,
        replySecret: Buffer.from(replySecret).toString('base64'),
        ...(a.expiresAt ? { expiresAt: a.expiresAt } : {}),
      });
    }
    replySecret.fill(0);
    // A pending request keeps its reply key (in memory, and in pending.json) for collect().
    return await this.#follow(answer, reply, wait, deadline, pollMs);
  }

  /**
   * The request kept in pending.json for `key`, asked about again: its answer, followed as a
   * new one would be; undefined when there is none, or the broker no longer has it pending
   * (expired, withdrawn, unknown), so that a new request is filed.
   */
  async #resume(key: string, wait: boolean, deadline: number, pollMs: number): Promise<Uint8Array | undefined> {
    if (!this.#stateDir) return undefined;
    const entry = await findPending(this.#stateDir, key);
    if (!entry) return undefined;
    const secret = new Uint8Array(Buffer.from(entry.replySecret, 'base64'));
    const reply = hpkeX25519Recipient(secret);
    secret.fill(0);
    const answer = await this.#call(
      'GET',
      `/v1/agent/requests/${encodeURIComponent(entry.requestId)}`,
      undefined,
      wait ? deadline : undefined,
    );
    if (answer.status === 404 || answer.status === 410) {
      await dropPending(this.#stateDir, entry.requestId);
      return undefined;
    }
    return this.#follow(answer, reply, wait, deadline, pollMs, true);
  }

  /**
   * Withdraws a pending request of this device (a signed call): approvers no longer see it and
   * the log records request.withdraw. True when it was still pending.
   */
  async withdraw(requestId: string): Promise<boolean> {
    const answer = await this.#signed('POST', `/v1/agent/requests/${encodeURIComponent(requestId)}/withdraw`);
    if (this.#stateDir) await dropPending(this.#stateDir, requestId);
    this.#waiting.delete(requestId);
    if (answer.status === 404) return false;
    if (answer.status !== 200) throw answerError(answer);
    return (answer.body as { withdrawn: boolean }).withdrawn;
  }

  /** Withdraws every request this object is waiting on (an interrupted wait); their ids. */
  async withdrawWaiting(): Promise<string[]> {
    const ids = [...this.#waiting];
    await Promise.all(ids.map((id) => this.withdraw(id).catch(() => false)));
    return ids;
  }

  /**
   * Asks again about a request that threw ERR_PENDING from this BrokerAgent (its reply key
   * lives in this object's memory only): the same answers as unwrap.
   */
  async collect(requestId: string, opts: { wait?: boolean; timeoutMs?: number; pollMs?: number } = {}): Promise<Uint8Array> {
    const reply = [...this.#pending.entries()].find(([, id]) => id === requestId)?.[0];
    if (!reply) throw new SectorCryptError('ERR_NOT_FOUND', `no pending request ${requestId} in this agent`);
    const wait = opts.wait ?? false;
    const deadline = Date.now() + (opts.timeoutMs ?? this.#opts.timeoutMs ?? 15 * 60_000);
    const answer = await this.#call('GET', `/v1/agent/requests/${encodeURIComponent(requestId)}`, undefined, wait ? deadline : undefined);
    return this.#follow(answer, reply, wait, deadline, opts.pollMs ?? this.#opts.pollMs ?? 2000);
  }

  /** Polls a pending answer while `wait` allows, then settles it. */
  async #follow(
    first: HttpAnswer,
    reply: HpkeRecipient,
    wait: boolean,
    deadline: number,
    pollMs: number,
    resumed = false,
  ): Promise<Uint8Array> {
    let answer = first;
    const requestId = (first.body as Answer | null)?.requestId;
    if (answer.status === 202 && wait && this.#opts.onPending) {
      const a = answer.body as Answer;
      this.#opts.onPending({ requestId: a.requestId, ...(a.expiresAt ? { expiresAt: a.expiresAt } : {}), ...(resumed ? { resumed } : {}) });
    }
    if (answer.status === 202 && wait) this.#waiting.add(requestId!);
    try {
      while (answer.status === 202 && wait && Date.now() < deadline) {
        await sleep(Math.min(pollMs, Math.max(0, deadline - Date.now())));
        let next: HttpAnswer;
        try {
          next = await this.#call('GET', `/v1/agent/requests/${encodeURIComponent(requestId!)}`, undefined, deadline);
        } catch (err) {
          // Out of time with the broker unreachable: still pending, as far as we know.
          if (err instanceof SectorCryptError && err.code === 'ERR_IO') break;
          throw err;
        }
        // Out of time while the broker was busy or rate limiting: still pending, as far as we know.
        if (next.status === 429 || next.status === 502 || next.status === 503 || next.status === 504) break;
        answer = next;
      }
    } finally {
      if (requestId) this.#waiting.delete(requestId);
    }
    if (answer.status === 202 && wait) {
      // A wait that gave up withdraws its request: no approver is asked about an unlock nobody awaits.
      const withdrawn = await this.withdraw(requestId!).catch(() => false);
      throw Object.assign(
        new SectorCryptError(
          'ERR_PENDING',
          `release request ${requestId} was not approved in time; ${withdrawn ? 'it was withdrawn' : 'withdrawing it failed: it stays pending until it expires'}`,
        ),
        { requestId },
      );
    } else if (answer.status === 202) {
      this.#pending.set(reply, requestId!);
    } else {
      this.#pending.delete(reply);
      if (requestId && this.#stateDir && answer.status !== 429 && answer.status < 500) await dropPending(this.#stateDir, requestId);
    }
    return this.#settle(answer, reply);
  }

  /** The envelope identity hook: opens a `broker` stanza for the envelope `resource`. */
  async unwrapBrokerStanza(
    sealed: { keyId: string; version: number; enc: Uint8Array; ciphertext: Uint8Array },
    resource: string,
  ): Promise<Uint8Array> {
    return this.unwrap(sealed, { resource, kind: 'envelope' });
  }

  /** The secret of a released answer, or the error of any other. */
  async #settle(answer: HttpAnswer, reply: HpkeRecipient): Promise<Uint8Array> {
    const a = answer.body as Answer;
    if (answer.status === 200 && a.decision === 'released') {
      // Plain Uint8Arrays: hpke.ts copies views with slice(), which on a Buffer shares the pool.
      const bytes = (s: string) => new Uint8Array(Buffer.from(s, 'base64'));
      return hpkeOpenWith(reply, bytes(a.enc!), REPLY_INFO, new TextEncoder().encode(a.requestId), bytes(a.ciphertext!));
    }
    if (answer.status === 202) {
      throw Object.assign(new SectorCryptError('ERR_PENDING', `release request ${a.requestId} waits for approval until ${a.expiresAt}`), {
        requestId: a.requestId,
        expiresAt: a.expiresAt,
      });
    }
    if (answer.status === 403 && a?.decision === 'denied') {
      throw Object.assign(new SectorCryptError('ERR_DENIED', deniedMessage(a.requestId, a.reasons ?? [])), {
        requestId: a.requestId,
        reasons: a.reasons ?? [],
      });
    }
    throw answerError(answer);
  }

  /** Closes the keep-alive connections and wipes the device key from memory. */
  close(): void {
    this.#http.close();
    this.#state.secretKey.fill(0);
    this.#pending.clear();
  }
}
