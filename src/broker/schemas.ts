/** JSON Schema pieces shared by the routes (Fastify validates bodies and serializes answers). */
export const b64 = (min: number, max: number) =>
  ({ type: 'string', minLength: min, maxLength: max, pattern: '^[A-Za-z0-9+/]*={0,2}$' }) as const;

export const id = { type: 'string', minLength: 1, maxLength: 64, pattern: '^[a-z]+_[0-9a-f-]{36}$' } as const;
export const name = { type: 'string', minLength: 1, maxLength: 128, pattern: '^[A-Za-z0-9][A-Za-z0-9._@-]*$' } as const;
export const group = { type: 'string', minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9][A-Za-z0-9._-]*$' } as const;
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
export const digits = { type: 'string', pattern: '^[0-9]{1,9}$' } as const;

export function num(s: string | undefined): number | undefined {
  return s === undefined ? undefined : Number(s);
}

/** The answer of a change that waits for a second admin (separation.ts PendingAnswer). */
export const pendingActionSchema = object(
  { actionId: { type: 'string' }, kind: { type: 'string' }, target: { type: 'string' }, expiresAt: { type: 'string' }, reason: { type: 'string' } },
  ['actionId', 'expiresAt'],
);
