/**
 * Building JSON Schemas that keep their literal types, so that an answer's TypeScript type is
 * derived from the schema the server validates and serializes with (FromSchema, a type-only
 * import: nothing of json-schema-to-ts is in any bundle).
 */
import type { FromSchema, JSONSchema } from 'json-schema-to-ts';

export type { FromSchema };

/**
 * A closed object: no property but these, `required` ones always there. The same object the
 * broker's schemas build (src/broker/http/schemas.ts object), with its literal types kept.
 */
export function object<const P extends Record<string, JSONSchema>, const R extends readonly (keyof P & string)[] = []>(
  properties: P,
  required: R = [] as unknown as R,
): { type: 'object'; additionalProperties: false; properties: P; required: R } {
  return { type: 'object', additionalProperties: false, properties, required };
}

export const string = { type: 'string' } as const;
export const integer = { type: 'integer' } as const;
export const boolean = { type: 'boolean' } as const;
export const strings = { type: 'array', items: { type: 'string' } } as const;
export const nullableString = { type: ['string', 'null'] } as const;
