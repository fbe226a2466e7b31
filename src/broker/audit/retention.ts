/** How long audit records stay in the log before they may move to archive segments (docs/audit.md "Retention and archive segments"). */

/** 365 days unless the broker is told otherwise. */
export const DEFAULT_RETENTION_DAYS = 365;

/** Records at or after this time are inside the retention. */
export function retentionCutoff(now: Date, retentionDays: number): Date {
  return new Date(now.getTime() - retentionDays * 86_400_000);
}
