/** What every claim collector returns, and how it says where a claim came from. */

/**
 * Who vouches for a claim. Every collector here runs on the host, so its claims are only as
 * good as the host: the broker sees them signed by the agent's key, nothing more.
 */
export type ClaimTrust = 'agent';

/** One claim a collector can report, where it reads it, and who vouches for it. */
export interface ClaimSource {
  /** Dotted path as a policy names it, e.g. `identity.bootTime`. */
  claim: string;
  /** Where the value is read, e.g. `/proc/stat btime`. */
  source: string;
  trust: ClaimTrust;
}

/** Claims keyed by their dotted path, or the reason none could be read. */
export type CollectResult = { claims: Record<string, unknown>; detail?: string } | { unavailable: string };

export interface Collector {
  /** Name used in the claims config (`collectors: [...]`). */
  name: string;
  sources: ClaimSource[];
  collect(): Promise<CollectResult>;
}

/** A failure's message, for an `unavailable` reason (never a stack). */
export function reasonOf(err: unknown): string {
  if (err && typeof err === 'object' && 'code' in err && typeof err.code === 'string') {
    return `${err.code}: ${err instanceof Error ? err.message : String(err)}`;
  }
  return err instanceof Error ? err.message : String(err);
}
