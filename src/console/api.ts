/**
 * The broker's API from the page: same origin, the session cookie (HttpOnly, so the page never
 * sees it) and the CSRF token on every call that changes something. Errors come back as
 * ApiError with the broker's code and message, for the page to show as they are.
 */
import type { WhoAmIAnswer } from '../protocol/answers.js';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** Who is signed in (POST and GET /console/api/session). */
export type WhoAmI = WhoAmIAnswer;

let csrfToken = '';
let onSignedOut: (message: string) => void = () => {};

export function useSession(who: WhoAmI | null, signedOut?: (message: string) => void): void {
  csrfToken = who?.csrfToken ?? '';
  if (signedOut) onSignedOut = signedOut;
}

export async function api<T = any>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (method !== 'GET' && csrfToken) headers['x-csrf-token'] = csrfToken;
  if (body !== undefined) headers['content-type'] = 'application/json';
  let res: Response;
  try {
    res = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: 'same-origin',
      cache: 'no-store',
    });
  } catch {
    throw new ApiError(0, 'ERR_NETWORK', 'the broker could not be reached');
  }
  const text = await res.text();
  let json: any = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    json = null;
  }
  if (!res.ok) {
    const err = new ApiError(res.status, json?.error?.code ?? `HTTP_${res.status}`, json?.error?.message ?? res.statusText);
    if (res.status === 401 && !path.startsWith('/console/api/session')) onSignedOut(`Signed out: ${err.message}`);
    throw err;
  }
  return json as T;
}

/** "ERR_FORBIDDEN: this call needs the role approver" */
export function describeError(err: unknown): string {
  if (err instanceof ApiError) return `${err.code}: ${err.message}`;
  // A SectorCryptError from code bundled into the page (the audit verifier, the policy
  // validator): its message ends in " (ERR_...)"; show the code first, as for the API.
  const code = (err as { code?: unknown } | null)?.code;
  if (err instanceof Error && typeof code === 'string' && code.startsWith('ERR_'))
    return `${code}: ${err.message.replace(/ \(ERR_[A-Z_]+\)$/, '')}`;
  if (err instanceof Error) return err.message;
  return String(err);
}

/** Where the browser goes to sign in through the tenant's provider; stepUp asks it for a fresh sign-in with a second factor. */
export function providerSignInUrl(tenant: string, stepUp: boolean): string {
  return `/console/api/oidc/start?tenant=${encodeURIComponent(tenant)}${stepUp ? '&stepUp=true' : ''}`;
}
