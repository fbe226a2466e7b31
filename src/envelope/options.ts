/** Argument checks shared by the envelope entry points: plain objects with known keys only. */
import { SectorCryptError } from '../errors.js';
import { checkKeys } from '../options.js';

/** `value` as an object with keys from `allowed` only (src/options.ts); undefined is refused. */
export function checkObject(value: unknown, name: string, allowed: readonly string[]): Record<string, unknown> {
  return checkKeys(value, allowed, name, (key) => `unknown ${name} option: ${key}`);
}

export function checkList<T>(value: unknown, name: string, min: number): T[] {
  if (!Array.isArray(value) || value.length < min) {
    throw new SectorCryptError('ERR_ARGUMENT', `${name} must be an array${min > 0 ? ` of at least ${min}` : ''}`);
  }
  return value as T[];
}
