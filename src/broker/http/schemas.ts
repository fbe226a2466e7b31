/** JSON Schema pieces shared by the routes (Fastify validates bodies and serializes answers). */
import { SectorCryptError } from '../../errors.js';
import { invitationAnswer, pendingActionAnswer } from '../../protocol/answers.js';

export const B64_PATTERN = '^[A-Za-z0-9+/]*={0,2}$';
export const ID_PATTERN = '^[a-z]+_[0-9a-f-]{36}$';
export const NAME_PATTERN = '^[A-Za-z0-9][A-Za-z0-9._@-]*$';
export const GROUP_PATTERN = '^[A-Za-z0-9][A-Za-z0-9._-]*$';
export const DIGITS_PATTERN = '^[0-9]{1,9}$';

export const b64 = (min: number, max: number) => ({ type: 'string', minLength: min, maxLength: max, pattern: B64_PATTERN }) as const;

export const id = { type: 'string', minLength: 1, maxLength: 64, pattern: ID_PATTERN } as const;
export const name = { type: 'string', minLength: 1, maxLength: 128, pattern: NAME_PATTERN } as const;
export const group = { type: 'string', minLength: 1, maxLength: 64, pattern: GROUP_PATTERN } as const;
export const time = { type: 'string' } as const;
export const idParams = { type: 'object', required: ['id'], properties: { id }, additionalProperties: false } as const;

export function object(properties: Record<string, unknown>, required: string[] = []): Record<string, unknown> {
  return { type: 'object', additionalProperties: false, properties, required };
}

/** Bytes on the wire are standard base64 (RFC 4648 section 4). */
export function fromB64(s: string): Uint8Array {
  return new Uint8Array(Buffer.from(s, 'base64'));
}

export function toB64(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('base64');
}

export function iso(t: unknown): string {
  return new Date(t as string).toISOString();
}

/** Query strings stay strings (no coercion anywhere): numbers in them are digits. */
export const digits = { type: 'string', pattern: DIGITS_PATTERN } as const;

export function num(s: string | undefined): number | undefined {
  return s === undefined ? undefined : Number(s);
}

/** The answer of a change that waits for a second admin (separation/service.ts PendingAnswer). */
export const pendingActionSchema = pendingActionAnswer;

/** Dates the broker takes: ISO 8601 / RFC 3339 (a date, or a date-time; UTC unless an offset is given), years 1970 to 9999. */
const DATE = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})?)?$/;

/**
 * A date from a request, or ERR_ARGUMENT. Only a sane range: every one fits PostgreSQL's
 * timestamptz and JavaScript's Date, and no calendar overflow (2026-02-31) slips through.
 */
export function parseDate(s: string, what: string): Date {
  const m = DATE.exec(s);
  if (m) {
    const [y, mo, day, h, mi, sec] = m.slice(1, 7).map((x) => Number(x ?? 0)) as [number, number, number, number, number, number];
    const d = new Date(m[4] === undefined ? `${s}T00:00:00Z` : m[7] === undefined ? `${s}Z` : s);
    const lastDay = new Date(Date.UTC(y, mo, 0)).getUTCDate();
    if (
      !Number.isNaN(d.getTime()) &&
      y >= 1970 &&
      y <= 9999 &&
      mo >= 1 &&
      mo <= 12 &&
      day >= 1 &&
      day <= lastDay &&
      h <= 23 &&
      mi <= 59 &&
      sec <= 59
    )
      return d;
  }
  throw new SectorCryptError('ERR_ARGUMENT', `${what} is a date from 1970 to 9999, e.g. 2026-01-31 or 2026-01-31T00:00:00Z`);
}

/** An API token's life in seconds: a minute to a year and a day (90 days when left out). */
export const tokenLife = { type: 'integer', minimum: 60, maximum: 366 * 86_400 } as const;
export const DEFAULT_TOKEN_SECONDS = 90 * 86_400;

/** A user's one-time invitation (accounts/service.ts createInvitation), shown once. */
export const invitationSchema = invitationAnswer;
