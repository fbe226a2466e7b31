/**
 * A small strict checker for the JSON Schema subset the claims config uses: type, enum,
 * properties, required, additionalProperties: false, items, min/maxItems, min/maxLength,
 * pattern, minimum/maximum, anyOf. Hand-written so the agent needs no schema library.
 */
export interface Schema {
  type?: 'object' | 'array' | 'string' | 'integer' | 'boolean';
  enum?: readonly unknown[];
  properties?: Record<string, Schema>;
  required?: readonly string[];
  additionalProperties?: false | Schema;
  propertyNames?: { pattern: string };
  items?: Schema;
  minItems?: number;
  maxItems?: number;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  minimum?: number;
  maximum?: number;
  anyOf?: readonly Schema[];
  description?: string;
}

/** The first problem with `value`, as "<JSON pointer>: <what>", or undefined when it fits. */
export function firstSchemaError(schema: Schema, value: unknown, at = ''): string | undefined {
  const where = at || '/';
  if (schema.anyOf) {
    const errors = schema.anyOf.map((s) => firstSchemaError(s, value, at));
    if (errors.every((e) => e !== undefined)) return errors.find((e) => e?.includes('unknown key')) ?? errors[errors.length - 1];
  }
  if (schema.enum && !schema.enum.includes(value))
    return `${where}: must be one of ${schema.enum.map((e) => JSON.stringify(e)).join(', ')}`;
  switch (schema.type) {
    case 'object': {
      if (value === null || typeof value !== 'object' || Array.isArray(value)) return `${where}: must be an object`;
      const obj = value as Record<string, unknown>;
      for (const key of schema.required ?? []) if (!Object.hasOwn(obj, key)) return `${where}: missing key "${key}"`;
      for (const [key, item] of Object.entries(obj)) {
        const path = `${at}/${key}`;
        if (schema.propertyNames && !new RegExp(schema.propertyNames.pattern).test(key)) return `${path}: key "${key}" is not allowed`;
        const sub = schema.properties?.[key] ?? schema.additionalProperties;
        if (sub === undefined || sub === false) return `${where}: unknown key "${key}"`;
        const error = firstSchemaError(sub, item, path);
        if (error) return error;
      }
      return undefined;
    }
    case 'array': {
      if (!Array.isArray(value)) return `${where}: must be an array`;
      if (schema.minItems !== undefined && value.length < schema.minItems) return `${where}: needs at least ${schema.minItems} items`;
      if (schema.maxItems !== undefined && value.length > schema.maxItems) return `${where}: at most ${schema.maxItems} items`;
      for (let i = 0; i < value.length; i++) {
        const error = schema.items && firstSchemaError(schema.items, value[i], `${at}/${i}`);
        if (error) return error;
      }
      return undefined;
    }
    case 'string':
      if (typeof value !== 'string') return `${where}: must be a string`;
      if (schema.minLength !== undefined && value.length < schema.minLength) return `${where}: at least ${schema.minLength} characters`;
      if (schema.maxLength !== undefined && value.length > schema.maxLength) return `${where}: at most ${schema.maxLength} characters`;
      if (schema.pattern && !new RegExp(schema.pattern).test(value)) return `${where}: must match ${schema.pattern}`;
      return undefined;
    case 'integer':
      if (typeof value !== 'number' || !Number.isInteger(value)) return `${where}: must be an integer`;
      if (schema.minimum !== undefined && value < schema.minimum) return `${where}: at least ${schema.minimum}`;
      if (schema.maximum !== undefined && value > schema.maximum) return `${where}: at most ${schema.maximum}`;
      return undefined;
    case 'boolean':
      return typeof value === 'boolean' ? undefined : `${where}: must be true or false`;
    default:
      return undefined;
  }
}
