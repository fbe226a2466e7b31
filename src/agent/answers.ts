/**
 * Shapes of the broker's JSON answers that clients read: the agent, the management CLI and
 * the console. Types only, so that any of them may import it (the console in a browser).
 */

/** One failed leaf of a decision's trace (docs/policies.md); `policy` is null for "no policy". */
export interface DenialReason {
  policy?: string | null;
  rule?: string;
  claim?: string;
  expected?: unknown;
  actual?: unknown;
}

/** A release request as GET /v1/requests lists it. */
export interface ReleaseRequestAnswer {
  requestId: string;
  status: string;
  deviceId: string;
  keyId: string;
  version: number;
  resource: string;
  policy: string | null;
  approversNeeded: number;
  approvals: number;
  claims: Record<string, unknown>;
  trace?: DenialReason[];
  createdAt: string;
  expiresAt: string | null;
  decidedAt?: string | null;
  /** Who voted, how, and their comment. */
  votes?: { userId: string; name: string; decision: string; comment?: string; at: string }[];
}
