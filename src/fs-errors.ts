/**
 * File-system failures as SectorCryptErrors: a missing path is ERR_NOT_FOUND, an existing one
 * that would be replaced ERR_EXISTS, anything else ERR_IO. The message names the path the user
 * gave (never an internal temporary name) and the OS code; the OS error stays in `cause`.
 */
import { SectorCryptError } from './errors.js';

const MISSING = new Set(['ENOENT', 'ENOTDIR']);

/** The OS error code (ENOENT, EACCES...) of `err`, if it has one. */
export function osCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^E[A-Z0-9]+$/.test(code) ? code : undefined;
}

/**
 * `err` as a SectorCryptError about `path`; one already coded passes through unchanged.
 * `doing` says what failed ("open", "write"...).
 */
export function fsError(err: unknown, path: string, doing = 'open'): Error {
  if (err instanceof SectorCryptError) return err;
  const code = osCode(err);
  if (code === undefined) return err instanceof Error ? err : new Error(String(err));
  if (MISSING.has(code))
    return new SectorCryptError('ERR_NOT_FOUND', `${path}: no such file or directory (${doing}, ${code})`, { cause: err });
  if (code === 'EEXIST') return new SectorCryptError('ERR_EXISTS', `${path} already exists`, { cause: err });
  if (code === 'EISDIR') return new SectorCryptError('ERR_IO', `${path} is a directory (${doing}, ${code})`, { cause: err });
  return new SectorCryptError('ERR_IO', `${path}: ${doing} failed with ${code}`, { cause: err });
}

/** Runs `fn`, turning its file-system errors into coded ones about `path`. */
export async function withFsErrors<T>(path: string, doing: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw fsError(err, path, doing);
  }
}
