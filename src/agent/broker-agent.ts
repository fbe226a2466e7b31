/**
 * The agent side of the release protocol (CUSTODY.md "Agents and the release protocol").
 * Every request after enrollment is signed with the device key (RFC 9421, with an RFC 9530
 * content-digest); every secret comes back sealed to a one-time X25519 reply key that lives
 * in memory only for that request.
 */
import { generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import { SectorCryptError } from '../errors.js';
import { hpkeOpenWith, hpkeX25519Recipient, type HpkeRecipient } from '../keys/hpke.js';
import { ed25519SigningKey } from '../keys/ed25519.js';
import { signRequest } from '../http-signature/index.js';
import { PinnedHttps, answerError, type HttpAnswer } from './https.js';
import { readState, writeState, type AgentState } from './state.js';
import { signEnrollment } from './enroll-proof.js';
import { claimsProvider } from './claims/provider.js';
import { attestationsProvider } from './attest/provider.js';
import type { ClaimsConfig } from './claims/config.js';
import { deniedMessage } from './denied-message.js';

export interface AgentEnrollOptions {
  url: string;
  /** The broker's CA certificate (PEM): the only one this agent will trust. */
  ca: string;
  token: string;
  stateDir: string;
  device: { name: string } & Record<string, string | number | boolean>;
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
  wait?: boolean;
  timeoutMs?: number;
  /** How often a waiting unwrap asks again (default 2000 ms). */
  pollMs?: number;
}

/** A broker stanza or LUKS2 token: bytes, or standard base64. */
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

const REPLY_INFO = new TextEncoder().encode('sectorcrypt-broker/v1 release');
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

  private constructor(state: AgentState, opts: Omit<AgentLoadOptions, 'stateDir'>) {
    this.#state = state;
    this.#signingKey = ed25519SigningKey(state.secretKey);
    this.#http = new PinnedHttps(state.caPem);
    this.#opts = opts;
  }

  get deviceId(): string {
    return this.#state.device.deviceId;
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
    const http = new PinnedHttps(opts.ca);
    try {
      const body = JSON.stringify({
        token: opts.token,
        publicKey: b64(publicKey),
        proof: b64(signEnrollment(opts.token, secretKey, publicKey)),
        device: opts.device,
      });
      const answer = await http.send('POST', `${url}/v1/agent/enroll`, { 'content-type': 'application/json' }, Buffer.from(body));
      if (answer.status !== 201) throw answerError(answer);
      const a = answer.body as { deviceId: string; tenantId: string; groups: string[] };
      const state: AgentState = { secretKey, caPem: opts.ca, device: { deviceId: a.deviceId, tenantId: a.tenantId, url, groups: a.groups, publicKey: b64(publicKey) } };
      await writeState(opts.stateDir, state);
      return new BrokerAgent(state, {});
    } finally {
      http.close();
    }
  }

  static async load(opts: AgentLoadOptions): Promise<BrokerAgent> {
    const { stateDir, ...rest } = opts;
    // A collectors config becomes a provider now, so a bad one fails at load, not at unwrap.
    if (rest.claims === 'auto' || isClaimsConfig(rest.claims)) {
      const config = rest.claims;
      rest.claims = claimsProvider(config);
      // The config's cloud JWTs (Google Cloud) go along, unless the caller gives attestations.
      if (config !== 'auto' && config.attestations && rest.attestations === undefined) rest.attestations = attestationsProvider(config.attestations);
    }
    return new BrokerAgent(await readState(stateDir), rest);
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
    const reply = hpkeX25519Recipient();
    const claims = typeof this.#opts.claims === 'function' ? await this.#opts.claims() : (this.#opts.claims as object | undefined);
    const attestations = typeof this.#opts.attestations === 'function' ? await this.#opts.attestations() : this.#opts.attestations;
    const answer = await this.#signed('POST', '/v1/agent/unwrap', {
      kind,
      keyId: sealed.keyId,
      version: sealed.version,
      enc: b64(sealed.enc),
      ciphertext: b64(sealed.ciphertext),
      resource: opts.resource,
      ...(claims ? { claims } : {}),
      ...(attestations?.length ? { attestations } : {}),
      replyKey: b64(reply.publicKey),
    });
    // A pending request keeps its reply key (in memory only) for collect().
    return await this.#follow(answer, reply, wait, timeoutMs, pollMs);
  }

  /**
   * Asks again about a request that threw ERR_PENDING from this BrokerAgent (its reply key
   * lives in this object's memory only): the same answers as unwrap.
   */
  async collect(requestId: string, opts: { wait?: boolean; timeoutMs?: number; pollMs?: number } = {}): Promise<Uint8Array> {
    const reply = [...this.#pending.entries()].find(([, id]) => id === requestId)?.[0];
    if (!reply) throw new SectorCryptError('ERR_NOT_FOUND', `no pending request ${requestId} in this agent`);
    const answer = await this.#signed('GET', `/v1/agent/requests/${encodeURIComponent(requestId)}`);
    return this.#follow(answer, reply, opts.wait ?? false, opts.timeoutMs ?? this.#opts.timeoutMs ?? 15 * 60_000, opts.pollMs ?? this.#opts.pollMs ?? 2000);
  }

  /** Polls a pending answer while `wait` allows, then settles it. */
  async #follow(first: HttpAnswer, reply: HpkeRecipient, wait: boolean, timeoutMs: number, pollMs: number): Promise<Uint8Array> {
    let answer = first;
    const deadline = Date.now() + timeoutMs;
    while (answer.status === 202 && wait && Date.now() < deadline) {
      await sleep(Math.min(pollMs, Math.max(0, deadline - Date.now())));
      answer = await this.#signed('GET', `/v1/agent/requests/${encodeURIComponent((answer.body as Answer).requestId)}`);
    }
    if (answer.status === 202) this.#pending.set(reply, (answer.body as Answer).requestId);
    else this.#pending.delete(reply);
    return this.#settle(answer, reply);
  }

  /** The envelope identity hook: opens a `broker` stanza for the envelope `resource`. */
  async unwrapBrokerStanza(sealed: { keyId: string; version: number; enc: Uint8Array; ciphertext: Uint8Array }, resource: string): Promise<Uint8Array> {
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
      throw Object.assign(new SectorCryptError('ERR_PENDING', `release request ${a.requestId} waits for approval until ${a.expiresAt}`), { requestId: a.requestId, expiresAt: a.expiresAt });
    }
    if (answer.status === 403 && a?.decision === 'denied') {
      throw Object.assign(new SectorCryptError('ERR_DENIED', deniedMessage(a.requestId, a.reasons ?? [])), { requestId: a.requestId, reasons: a.reasons ?? [] });
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
