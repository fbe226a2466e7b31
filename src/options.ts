/** The one check every public options object goes through: unknown keys are typos, not no-ops. */
import { SectorCryptError } from './errors.js';

/**
 * Returns `opts` (or {} when undefined) after checking it is an object whose keys are all in
 * `allowed`. A misspelt key (`sectorsize`, `contxt`) would otherwise fall back silently to a
 * default, which for a cipher can mean data encrypted in a way the caller never asked for.
 */
export function checkOptionKeys<T extends object>(opts: T | undefined, allowed: readonly string[], what = 'options'): T {
  if (opts === undefined) return {} as T;
  if (typeof opts !== 'object' || opts === null || Array.isArray(opts)) {
    throw new SectorCryptError('ERR_ARGUMENT', `${what} must be an object`);
  }
  for (const key of Object.keys(opts)) {
    if (!allowed.includes(key)) {
      throw new SectorCryptError('ERR_ARGUMENT', `unknown option "${key}" in ${what}; known: ${allowed.join(', ')}`);
    }
  }
  return opts;
}
