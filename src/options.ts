/** The one check every public options object goes through: unknown keys are typos, not no-ops. */
import { SectorCryptError } from './errors.js';

/**
 * Returns `value` after checking it is a plain object whose keys are all in `allowed`;
 * ERR_ARGUMENT "`what` must be an object" otherwise, or `unknownKey(key)` for a key not allowed.
 * The wording of that refusal is the caller's (the library's and the envelope's differ).
 */
export function checkKeys(
  value: unknown,
  allowed: readonly string[],
  what: string,
  unknownKey: (key: string) => string,
): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new SectorCryptError('ERR_ARGUMENT', `${what} must be an object`);
  }
  for (const key of Object.keys(value)) {
    if (!allowed.includes(key)) throw new SectorCryptError('ERR_ARGUMENT', unknownKey(key));
  }
  return value as Record<string, unknown>;
}

/**
 * Returns `opts` (or {} when undefined) after checking it is an object whose keys are all in
 * `allowed`. A misspelt key (`sectorsize`, `contxt`) would otherwise fall back silently to a
 * default, which for a cipher can mean data encrypted in a way the caller never asked for.
 */
export function checkOptionKeys<T extends object>(opts: T | undefined, allowed: readonly string[], what = 'options'): T {
  if (opts === undefined) return {} as T;
  return checkKeys(opts, allowed, what, (key) => `unknown option "${key}" in ${what}; known: ${allowed.join(', ')}`) as T;
}
