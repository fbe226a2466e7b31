/**
 * Output files of the CLI, with the rules that keep a command from destroying data:
 *
 * - an existing non-empty target is ERR_EXISTS unless the user passed --force;
 * - a target that is one of the inputs (same device and inode, through symbolic or hard
 *   links) is refused even with --force: it would be truncated before it was read;
 * - bytes go to a temporary file beside the target, renamed over it only on success, and
 *   removed on failure and on SIGINT, SIGTERM, SIGHUP or EPIPE (see exitCleanly).
 */
import { randomBytes } from 'node:crypto';
import { createWriteStream, rmSync, statSync, truncateSync, type Stats } from 'node:fs';
import { open, realpath, rename, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import { constants } from 'node:os';
import type { Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { SectorCryptError } from '../errors.js';
import { fsError, osCode, withFsErrors } from '../fs-errors.js';

export interface OutputFileOptions {
  /** Replace an existing non-empty file (the CLI's --force). */
  force?: boolean;
  /** Permission bits of a new file (before the umask). */
  mode: number;
  /** Files the command reads; the output may never be one of them. */
  inputs?: (string | undefined)[];
  /** What to tell the user to pass to replace a file; default "--force". */
  forceFlag?: string;
}

export interface OutputFile {
  /** Where the bytes go until commit(). */
  readonly stream: Writable;
  /** The name the user gave. */
  readonly target: string;
  /** Syncs and renames the temporary file onto the target. */
  commit(): Promise<void>;
  /** Removes the temporary file; the target stays as it was. */
  discard(): Promise<void>;
}

/** Synchronous clean-ups to run if the process is stopped by a signal or a closed pipe. */
const onInterrupt = new Set<() => void>();

function whenInterrupted(cleanup: () => void): { forget(): void } {
  onInterrupt.add(cleanup);
  return { forget: () => onInterrupt.delete(cleanup) };
}

/**
 * Puts `file` back as it was (`existing`: its stat before the command, or undefined when it
 * did not exist) if the process is interrupted before `forget` is called: a file the command
 * made is removed, an empty one emptied again. For files the library writes, such as a new
 * volume image; a file that held data is not restorable and is left alone.
 */
export function restoreIfInterrupted(file: string, existing: Stats | undefined): { forget(): void } {
  if (!existing) return whenInterrupted(() => rmSync(file, { force: true }));
  if (existing.isFile() && existing.size === 0) return whenInterrupted(() => truncateSync(file, 0));
  return { forget() {} };
}

function sameFile(a: Stats, b: Stats): boolean {
  return a.dev === b.dev && a.ino === b.ino;
}

async function statOrUndefined(file: string): Promise<Stats | undefined> {
  try {
    return await stat(file);
  } catch (err) {
    if (osCode(err) === 'ENOENT') return undefined;
    throw fsError(err, file, 'stat');
  }
}

/**
 * Throws unless `target` may be written: ERR_ARGUMENT when it is one of `inputs` (force or
 * not), ERR_EXISTS when it holds data and `force` is not set. Returns its stat, if it exists.
 */
export async function checkOutputTarget(target: string, opts: Omit<OutputFileOptions, 'mode'>): Promise<Stats | undefined> {
  const existing = await statOrUndefined(target);
  if (!existing) return undefined;
  if (existing.isDirectory()) throw new SectorCryptError('ERR_ARGUMENT', `output ${target} is a directory; name a file`);
  for (const input of opts.inputs ?? []) {
    if (input === undefined || input === '-') continue;
    const info = await stat(input).catch(() => undefined);
    if (info && sameFile(info, existing)) {
      throw new SectorCryptError(
        'ERR_ARGUMENT',
        `output ${target} is the input ${input} itself; write to another file (--force does not change this)`,
      );
    }
  }
  const holdsData = existing.isFile() ? existing.size > 0 : existing.isBlockDevice();
  if (holdsData && !opts.force) {
    throw new SectorCryptError(
      'ERR_EXISTS',
      `${target} already exists and is not empty; pass ${opts.forceFlag ?? '--force'} to replace it`,
    );
  }
  return existing;
}

/**
 * Opens an output for `target` under the rules above. A target that exists and is not a
 * regular file (a FIFO, /dev/null, a terminal) is written directly: renaming over it would
 * replace the device node instead of writing to it.
 */
export async function openOutputFile(target: string, opts: OutputFileOptions): Promise<OutputFile> {
  const existing = await checkOutputTarget(target, opts);
  if (existing && !existing.isFile()) return directOutput(target);
  // Through a symbolic link (or /dev/stdout redirected to a file) the file it names is
  // replaced, not the link.
  const full = existing ? await realpath(target) : path.resolve(target);
  const temp = path.join(path.dirname(full), `.${path.basename(full)}.${randomBytes(6).toString('hex')}.tmp`);
  // Opened here, not lazily by the stream, so a missing directory fails before any work.
  const handle = await withFsErrors(target, 'create', () => open(temp, 'wx', opts.mode));
  const cleanup = whenInterrupted(() => rmSync(temp, { force: true }));
  const stream = createWriteStream('', { fd: handle, autoClose: true });
  const gone = () => finished(stream).catch(() => {});
  return {
    stream,
    target,
    async commit() {
      await gone();
      await withFsErrors(target, 'write', async () => {
        const file = await open(temp, 'r+');
        try {
          await file.sync();
        } finally {
          await file.close();
        }
        await rename(temp, full);
      });
      cleanup.forget();
    },
    async discard() {
      stream.destroy();
      await gone();
      await unlink(temp).catch(() => {});
      cleanup.forget();
    },
  };
}

function directOutput(target: string): OutputFile {
  const stream = createWriteStream(target, { flags: 'w' });
  return {
    stream,
    target,
    async commit() {
      stream.end();
      await withFsErrors(target, 'write', () => finished(stream));
    },
    async discard() {
      stream.destroy();
      await finished(stream).catch(() => {});
    },
  };
}

/** stdout as an output: nothing to rename or remove. */
export function stdoutOutput(): OutputFile {
  return { stream: process.stdout, target: '-', commit: async () => {}, discard: async () => {} };
}

export interface CommandOutputOptions extends OutputFileOptions {
  /** Binary output (ciphertext): refused on a terminal, as keygen does. */
  binary?: boolean;
  /** What the bytes are, for the terminal refusal ("ciphertext"). */
  what?: string;
}

/**
 * A command's output end: stdout for no name or "-", else an OutputFile under the rules
 * above. Every refusal happens here, before the command reads a key or writes a byte.
 */
export async function openCommandOutput(name: string | undefined, opts: CommandOutputOptions): Promise<OutputFile> {
  if (name === undefined || name === '-') {
    if (opts.binary && process.stdout.isTTY) {
      throw new SectorCryptError(
        'ERR_ARGUMENT',
        `refusing to write ${opts.what ?? 'binary data'} to a terminal; give an output file or redirect stdout`,
      );
    }
    return stdoutOutput();
  }
  return openOutputFile(name, opts);
}

/** Runs every registered clean-up, synchronously (a signal handler cannot wait). */
function cleanUpNow(): void {
  for (const cleanup of onInterrupt) {
    try {
      cleanup();
    } catch {
      // Best effort: the others still run, and the exit code says the run was interrupted.
    }
  }
  onInterrupt.clear();
  // A passphrase prompt may have put the terminal in raw mode.
  if (process.stdin.isTTY && process.stdin.isRaw) process.stdin.setRawMode(false);
}

let installed = false;
/** The signals a command handles itself (broker serve: SIGINT, SIGTERM, SIGHUP). */
const signalsOwned = new Set<NodeJS.Signals>();

/**
 * A long-running command with a graceful shutdown of its own takes SIGINT and SIGTERM over
 * (and SIGHUP, when it reloads on it): the handlers of exitCleanly then leave those to it (it
 * has no temporary files).
 */
export function takeOverSignals(signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM']): void {
  for (const s of signals) signalsOwned.add(s);
}

/** Async work an interrupted run finishes before it exits (a waiting agent withdraws its request). */
let lastWords: (() => Promise<unknown>) | undefined;
const LAST_WORDS_MS = 5000;

/** Sets (or clears, with undefined) what an interrupted run does before it exits, for at most 5 s. */
export function setLastWords(fn: (() => Promise<unknown>) | undefined): void {
  lastWords = fn;
}

/**
 * Makes SIGINT, SIGTERM and SIGHUP remove the temporary files and exit with 128 + the signal
 * number (130, 143, 129), and a closed stdout (EPIPE: `| head`) end the process quietly with
 * 141, as if SIGPIPE had killed it. Called once by main.
 */
export function exitCleanly(): void {
  if (installed) return;
  installed = true;
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(signal, () => {
      if (signalsOwned.has(signal)) return;
      const finish = () => {
        cleanUpNow();
        if (process.stderr.isTTY) process.stderr.write('\x1b[?25h\n'); // the progress bar hid the cursor
        process.exit(128 + constants.signals[signal]);
      };
      const words = lastWords;
      lastWords = undefined;
      if (!words) return finish();
      void Promise.race([words().catch(() => undefined), new Promise((r) => setTimeout(r, LAST_WORDS_MS).unref())]).finally(finish);
    });
  }
  process.stdout.on('error', (err) => {
    if (osCode(err) !== 'EPIPE') return; // the command's own pipeline reports other errors
    cleanUpNow();
    process.exit(128 + constants.signals.SIGPIPE);
  });
}

/** Same file (device and inode) as `a` and `b`, for paths that both exist. */
export function isSameFile(a: string, b: string): boolean {
  try {
    return sameFile(statSync(a), statSync(b));
  } catch {
    return false;
  }
}
