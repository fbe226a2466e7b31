/**
 * The data folder is the broker's alone: folders 0700, files 0600, whatever made them
 * (a folder that existed before `broker init`, PGlite's own files, an older broker's
 * broker.json). Another local user must not read root.key or a database password, nor write
 * PGlite's pg_control.
 */
import { chmod, lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';

/** Takes the group and other bits off `root` and everything under it; symlinks are left alone. */
export async function tightenModes(root: string): Promise<void> {
  const st = await lstat(root);
  if (st.isSymbolicLink()) return;
  if (st.mode & 0o077) await chmod(root, st.mode & 0o700);
  if (!st.isDirectory()) return;
  for (const name of await readdir(root)) {
    await tightenModes(join(root, name)).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') throw err; // a file PGlite removed meanwhile
    });
  }
}

let holders = 0;
let saved: number | undefined;

/**
 * Files made while the returned function has not been called get no group or other bits
 * (umask 0077): PGlite creates WAL segments and table files as it runs, some 0666. The umask
 * is the process's; it goes back to what it was when the last holder lets go. Where the
 * process cannot change it (a worker thread), tightenModes at open and close still applies.
 */
export function holdPrivateUmask(): () => void {
  try {
    if (holders === 0) {
      saved = process.umask(0o077);
      process.umask(saved | 0o077); // stricter owner bits, if the process had them, stay
    }
  } catch {
    return () => {};
  }
  holders++;
  let released = false;
  return () => {
    if (released) return;
    released = true;
    if (--holders === 0 && saved !== undefined) process.umask(saved);
  };
}
