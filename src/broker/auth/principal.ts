/** Who a person calling the broker is (authenticate.ts finds out; console-session.ts for a cookie). */
export type Role = 'operator' | 'admin' | 'approver' | 'auditor';

export interface Principal {
  tenantId: string;
  userId: string;
  roles: Role[];
  /** How the caller signed in: an API token, or the console's session cookie. */
  via?: 'token' | 'session';
  /** The SHA-256 of the token it came with (so a token list can mark the one in use). */
  tokenHash?: string;
  /** Present when the person signed in through the tenant's OpenID provider (absent: a local token). */
  signIn?: SignIn;
}

/** How a person signed in through the provider (the ID token's claims, OpenID Connect Core 1.0 section 2). */
export interface SignIn {
  provider: string;
  subject: string;
  amr: string[];
  acr?: string;
  /** ISO time of auth_time, when the provider said. */
  authTime?: string;
}
