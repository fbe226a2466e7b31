/**
 * The broker session `sectorcrypt broker login` keeps (docs/broker.md "Signing in from the
 * command line"): the broker's URL, its CA file's path, and a short-lived broker session
 * (never a provider's token nor the client secret), in one file of mode 0600 in a folder of
 * mode 0700: $SECTORCRYPT_BROKER_SESSION, else $XDG_CONFIG_HOME/sectorcrypt/broker-session.json
 * (~/.config when unset). The other broker commands use it when no token is given.
 */
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';

export interface StoredSession {
  url: string;
  ca: string;
  session: string;
  expiresAt: string;
  tenantId?: string;
  userId?: string;
  roles?: string[];
}

export function sessionFile(): string {
  const explicit = process.env.SECTORCRYPT_BROKER_SESSION;
  if (explicit) return explicit;
  const config = process.env.XDG_CONFIG_HOME || join(homedir(), '.config');
  return join(config, 'sectorcrypt', 'broker-session.json');
}

/** The stored session when it is there, well-formed and unexpired. */
export function readSession(): StoredSession | undefined {
  const file = sessionFile();
  if (!existsSync(file)) return undefined;
  try {
    const s = JSON.parse(readFileSync(file, 'utf8')) as StoredSession;
    if (
      typeof s.url !== 'string' ||
      typeof s.ca !== 'string' ||
      typeof s.session !== 'string' ||
      !/^scs_[A-Za-z0-9_-]{43}$/.test(s.session)
    )
      return undefined;
    return Date.parse(s.expiresAt) > Date.now() ? s : undefined;
  } catch {
    return undefined;
  }
}

/** Written beside the target and renamed, so that a reader never sees half a file. */
export async function writeSession(s: StoredSession): Promise<string> {
  const file = sessionFile();
  await mkdir(dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, `${JSON.stringify(s, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
  try {
    await rename(tmp, file);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
  return file;
}

export async function removeSession(): Promise<void> {
  await rm(sessionFile(), { force: true });
}
