/**
 * Identity and recipient files (docs/envelope.md "Recipients and identities"): one key a line, `#` starts a
 * comment line. Files that hold secrets (identities, KEKs, passphrases) are written with
 * mode 0600 and refused when group or others may read them.
 */
import { open, readFile, stat } from 'node:fs/promises';
import { SectorCryptError } from '../errors.js';

/** The key lines of an identity or recipients file: no blank lines, no comments. */
export function keyLines(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
}

/** ERR_ARGUMENT when anyone but the owner may read `file` (not checked on Windows). */
export async function checkPrivateFile(file: string, what: string): Promise<void> {
  if (process.platform === 'win32') return;
  const { mode, isFile } = await stat(file).then((s) => ({ mode: s.mode, isFile: s.isFile() }));
  if (isFile && (mode & 0o077) !== 0) {
    throw new SectorCryptError(
      'ERR_ARGUMENT',
      `${what} ${file} can be read by group or others (mode ${(mode & 0o777).toString(8)}); run chmod 600 ${file}`,
    );
  }
}

/** The secret key strings of an identity file, after the permission check. */
export async function readIdentityFile(file: string): Promise<string[]> {
  await checkPrivateFile(file, 'identity file');
  const keys = keyLines(await readFile(file, 'utf8'));
  if (keys.length === 0) throw new SectorCryptError('ERR_ARGUMENT', `identity file ${file} holds no key`);
  return keys;
}

export async function readRecipientsFile(file: string): Promise<string[]> {
  const keys = keyLines(await readFile(file, 'utf8'));
  if (keys.length === 0) throw new SectorCryptError('ERR_ARGUMENT', `recipients file ${file} holds no key`);
  return keys;
}

/** Writes a new secret file, mode 0600; refuses to replace an existing one (ERR_EXISTS). */
export async function writePrivateFile(file: string, data: string | Uint8Array): Promise<void> {
  const handle = await open(file, 'wx', 0o600).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'EEXIST') throw new SectorCryptError('ERR_EXISTS', `${file} exists; not replacing a key file`);
    throw err;
  });
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
}
