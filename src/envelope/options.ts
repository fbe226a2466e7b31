/** Argument checks shared by the envelope entry points: plain objects with known keys only. */
import { SectorCryptError } from '../errors.js';

export function checkObject(value: unknown, name: string, allowed: readonly string[]): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new SectorCryptError('ERR_ARGUMENT', `${name} must be an object`);
  }
  for (const key of Object.keys(value)) {
    if (!allowed.includes(key)) throw new SectorCryptError('ERR_ARGUMENT', `unknown ${name} option: ${key}`);
  }
  return value as Record<string, unknown>;
}

export function checkList<T>(value: unknown, name: string, min: number): T[] {
  if (!Array.isArray(value) || value.length < min) {
    throw new SectorCryptError('ERR_ARGUMENT', `${name} must be an array${min > 0 ? ` of at least ${min}` : ''}`);
  }
  return value as T[];
}
