/**
 * Capped, jittered backoff for a waiting call (`wait: true`): a broker that cannot be reached,
 * or answers 502, 503, 504 or 429, is asked again until the caller's deadline. Exponential
 * from 500 ms, capped at 15 s, each delay drawn from its upper half ("equal jitter"), so
 * agents that lost the same broker do not come back in step; a Retry-After is honoured.
 */
import { SectorCryptError } from '../errors.js';
import type { HttpAnswer } from './https.js';

export const RETRY_STATUSES = new Set([429, 502, 503, 504]);
const BASE_MS = 500;
const CAP_MS = 15_000;

export interface RetryNote {
  /** Why: "the broker answered 503", or the connection error's message. */
  reason: string;
  delayMs: number;
  attempt: number;
}

export function backoffMs(attempt: number, retryAfterSeconds?: number): number {
  const ceiling = Math.min(CAP_MS, BASE_MS * 2 ** Math.min(attempt, 10));
  const jittered = ceiling / 2 + Math.random() * (ceiling / 2);
  return retryAfterSeconds === undefined ? jittered : Math.max(jittered, Math.min(retryAfterSeconds * 1000, 60_000));
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * `send()` until it gives an answer that is not worth retrying, or until `until` (Date.now()
 * milliseconds) would pass: then the last answer is returned, or the last error thrown.
 */
export async function withRetries(
  send: () => Promise<HttpAnswer>,
  until: number,
  onRetry?: (note: RetryNote) => void,
): Promise<HttpAnswer> {
  for (let attempt = 0; ; attempt++) {
    let answer: HttpAnswer | undefined;
    let failure: unknown;
    try {
      answer = await send();
      if (!RETRY_STATUSES.has(answer.status)) return answer;
    } catch (err) {
      // Only a connection failure is retried; a bad answer (not JSON...) is not.
      if (!(err instanceof SectorCryptError && err.code === 'ERR_IO' && /cannot reach the broker/.test(err.message))) throw err;
      failure = err;
    }
    const delayMs = backoffMs(attempt, answer?.retryAfterSeconds);
    if (Date.now() + delayMs > until) {
      if (answer) return answer;
      throw failure;
    }
    onRetry?.({ reason: answer ? `the broker answered ${answer.status}` : (failure as Error).message, delayMs, attempt: attempt + 1 });
    await sleep(delayMs);
  }
}
