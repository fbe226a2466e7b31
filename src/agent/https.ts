/**
 * HTTPS to the broker with its CA pinned: the `ca` option replaces Node's trust store, so
 * only a certificate from the broker's own CA is accepted (and its name still checked).
 * One keep-alive agent per BrokerAgent.
 */
import { Agent, request } from 'node:https';
import { SectorCryptError, type SectorCryptErrorCode } from '../errors.js';

export interface HttpAnswer {
  status: number;
  body: unknown;
  /** Seconds from a 429 or 503 answer's Retry-After (RFC 9110 section 10.2.3), when it gave a number. */
  retryAfterSeconds?: number;
}

/** Retry-After as delay-seconds; an HTTP date, or nothing, is undefined. */
function retryAfter(header: string | string[] | undefined): number | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  return value !== undefined && /^\d{1,9}$/.test(value.trim()) ? Number(value.trim()) : undefined;
}

export class PinnedHttps {
  readonly #agent: Agent;

  constructor(caPem: string) {
    this.#agent = new Agent({ ca: caPem, keepAlive: true, maxSockets: 8 });
  }

  send(method: string, url: string, headers: Record<string, string>, body?: Uint8Array): Promise<HttpAnswer> {
    return new Promise((resolve, reject) => {
      const req = request(url, { method, agent: this.#agent, headers: { accept: 'application/json', ...headers } }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: unknown = null;
          try {
            parsed = text ? JSON.parse(text) : null;
          } catch {
            return reject(new SectorCryptError('ERR_IO', `the broker answered ${res.statusCode} with something that is not JSON`));
          }
          const wait = retryAfter(res.headers['retry-after']);
          resolve({ status: res.statusCode ?? 0, body: parsed, ...(wait !== undefined ? { retryAfterSeconds: wait } : {}) });
        });
      });
      req.on('error', (cause) =>
        reject(new SectorCryptError('ERR_IO', `cannot reach the broker at ${new URL(url).origin}: ${cause.message}`, { cause })),
      );
      req.end(body ? Buffer.from(body) : undefined);
    });
  }

  close(): void {
    this.#agent.destroy();
  }
}

/**
 * The broker's `{error: {code, message}}` as a SectorCryptError; a 429 (ERR_RATE_LIMITED)
 * carries `retryAfterSeconds` from its Retry-After.
 */
export function answerError(answer: HttpAnswer): SectorCryptError {
  const e = (answer.body as { error?: { code?: string; message?: string } } | null)?.error;
  const err = new SectorCryptError((e?.code ?? 'ERR_IO') as SectorCryptErrorCode, e?.message ?? `the broker answered ${answer.status}`);
  return answer.retryAfterSeconds === undefined ? err : Object.assign(err, { retryAfterSeconds: answer.retryAfterSeconds });
}
