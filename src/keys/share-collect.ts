/**
 * Gathering k shares from n members at once (docs/envelope.md "Opening a group"; the LUKS2
 * threshold token, docs/volumes.md): every member is asked in parallel, the result is settled
 * as soon as k shares arrived (later answers are wiped unread), or once every member answered
 * with fewer. Each failure is classified for the one error that names them all.
 */
import { wipe } from '../bytes.js';
import { SectorCryptError } from '../errors.js';
import { interpolate, type Share } from './shamir.js';

export type FailureReason = 'no-identity' | 'unreachable' | 'denied' | 'pending' | 'failed';

export interface ShareFailure {
  reason: FailureReason;
  /** One line: the reason and the member's own error message (never a secret). */
  message: string;
  code?: string;
  requestId?: string;
}

/** Why a member's answer was an error: unreachable (ERR_IO), denied (with its trace), waiting for approval. */
export function classifyFailure(err: unknown): ShareFailure {
  if (!(err instanceof SectorCryptError)) return { reason: 'failed', message: `failed: ${(err as Error)?.message ?? String(err)}` };
  const requestId = (err as { requestId?: string }).requestId;
  const extra = { code: err.code, ...(requestId ? { requestId } : {}) };
  if (err.code === 'ERR_IO') return { ...extra, reason: 'unreachable', message: `unreachable: ${err.message}` };
  if (err.code === 'ERR_DENIED') return { ...extra, reason: 'denied', message: `denied: ${err.message}` };
  if (err.code === 'ERR_PENDING') return { ...extra, reason: 'pending', message: `waiting for approval: ${err.message}` };
  return { ...extra, reason: 'failed', message: `failed: ${err.message}` };
}

/**
 * Asks every member at once; `ask` returns the member's 32-byte share or why there is none.
 * Resolves with the secret rebuilt from the first k shares, or with every failure (in the
 * members' order) when fewer than k came.
 */
export function gatherShares<M extends { index: number }, F>(
  members: readonly M[],
  k: number,
  ask: (member: M) => Promise<Uint8Array | F>,
): Promise<{ secret: Uint8Array } | { failures: F[]; obtained: number }> {
  return new Promise((resolve) => {
    const shares: Share[] = [];
    const failures: { at: number; failure: F }[] = [];
    let answered = 0;
    let done = false;
    members.forEach((m, at) => {
      const settle = (result: Uint8Array | F) => {
        answered++;
        if (done) {
          if (result instanceof Uint8Array) wipe(result);
          return;
        }
        if (result instanceof Uint8Array) shares.push({ index: m.index, value: result });
        else failures.push({ at, failure: result });
        if (shares.length === k) {
          done = true;
          try {
            resolve({ secret: interpolate(shares) });
          } finally {
            for (const s of shares) wipe(s.value);
          }
        } else if (answered === members.length) {
          done = true;
          for (const s of shares) wipe(s.value);
          failures.sort((a, b) => a.at - b.at);
          resolve({ failures: failures.map((f) => f.failure), obtained: shares.length });
        }
      };
      // `ask` reports its own failures; a throw here is one too, never an unhandled rejection.
      ask(m).then(settle, (err) => settle(classifyFailure(err) as F));
    });
    if (members.length === 0) resolve({ failures: [], obtained: 0 });
  });
}
