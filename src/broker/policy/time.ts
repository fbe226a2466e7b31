/** Times in claims: an RFC 3339 date-time (RFC 3339 section 5.6) or Unix seconds. */

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})$/;

/** Milliseconds since the epoch, or null when `value` is neither form. */
export function claimTimeMs(value: unknown): number | null {
  if (typeof value === 'number') return Number.isFinite(value) ? value * 1000 : null;
  if (typeof value !== 'string') return null;
  const m = RFC3339.exec(value);
  if (!m) return null;
  const [month, day, hour, minute, second] = [m[2], m[3], m[4], m[5], m[6]].map(Number) as [number, number, number, number, number];
  // Date.parse rolls 02-30 over to March; refuse fields out of range instead.
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) return null;
  const ms = Date.parse(value.replace(' ', 'T').replace(/z$/, 'Z').replace('t', 'T'));
  if (!Number.isFinite(ms)) return null;
  if (new Date(Date.UTC(Number(m[1]), month - 1, day)).getUTCDate() !== day) return null;
  return ms;
}
