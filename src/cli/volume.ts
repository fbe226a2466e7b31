/**
 * `sectorcrypt volume <sub>`: LUKS2 volumes (cryptsetup-compatible) and plain dm-crypt
 * images on files or block devices. Passphrases come from --passphrase-file or a prompt.
 * Each command is one `sub(spec, action, view)` line: the action does the work and returns
 * what the view (volume-views.ts) prints on stdout.
 */
import type { Command } from 'commander';
import { Volume } from '../volume/index.js';
import { wipe } from '../bytes.js';
import { SectorCryptError } from '../errors.js';
import { noteWhile } from './progress.js';
import { getPassphrase } from './passphrase.js';
import { checkOutputTarget, restoreIfInterrupted } from './output.js';
import { bytes, integer } from './args.js';
import { actionArgs } from './subcommand.js';
import { openVolume, pbkdfOf, withOpen, withPbkdf, type OpenFlags, type PbkdfFlags } from './volume-open.js';
import { readVolume, writeVolume } from './volume-data.js';
import * as views from './volume-views.js';
import { registerVolumeBroker } from './volume-broker.js';
import { registerTokenPlugin } from './volume-token-plugin.js';

type Action<F, R> = (flags: F, ...args: string[]) => Promise<R>;

/** One subcommand: `options` adds its flags, `action` runs it, `view` prints its result. */
function sub<F, R>(
  parent: Command,
  spec: string,
  description: string,
  action: Action<F, R>,
  view: views.VolumeView<R, F>,
  options?: (c: Command) => Command,
): void {
  let cmd = parent.command(spec).description(description);
  if (options) cmd = options(cmd);
  cmd.action(async (...args: unknown[]) => {
    const { positional, flags } = actionArgs<F>(args);
    const text = view(await action(flags, ...positional), flags);
    // `read` may have ended stdout (its data went there): nothing more is written then.
    if (text) process.stdout.write(text);
  });
}

interface CreateFlags extends PbkdfFlags {
  size: number;
  sectorSize?: number;
  keyBits?: number;
  label?: string;
  passphraseFile?: string;
  force?: boolean;
}

async function create(f: CreateFlags, image: string): Promise<{ image: string; size: number }> {
  // Refused before the passphrase prompt; Volume.create checks again when it opens the file.
  const existing = await checkOutputTarget(image, { force: f.force === true });
  const passphrase = await getPassphrase(f.passphraseFile, 'New passphrase: ', true);
  // A file this run makes goes again if it is interrupted (the KDF takes seconds).
  const made = restoreIfInterrupted(image, existing);
  try {
    const pbkdf = pbkdfOf(f);
    const vol = await noteWhile('deriving key from passphrase', () =>
      Volume.create(image, {
        size: f.size,
        passphrase,
        ...(f.force ? { overwrite: true } : {}),
        ...(f.sectorSize ? { sectorSize: f.sectorSize as 4096 } : {}),
        ...(f.keyBits ? { keyBits: f.keyBits as 512 } : {}),
        ...(f.label ? { label: f.label } : {}),
        ...(pbkdf ? { pbkdf } : {}),
      }),
    );
    await vol.close();
    return { image, size: f.size };
  } finally {
    made.forget();
    wipe(passphrase);
  }
}

async function openCheck(f: OpenFlags, image: string): Promise<{ image: string; keyslot?: number }> {
  const vol = await openVolume(image, f, true);
  const keyslot = vol.keyslot;
  await vol.close();
  return keyslot === undefined ? { image } : { image, keyslot };
}

async function addPassphrase(f: PbkdfFlags & { passphraseFile?: string; newPassphraseFile?: string }, image: string): Promise<number> {
  const vol = await openVolume(image, { ...(f.passphraseFile ? { passphraseFile: f.passphraseFile } : {}) }, false);
  try {
    const fresh = await getPassphrase(f.newPassphraseFile, 'New passphrase: ', true);
    const pbkdf = pbkdfOf(f);
    try {
      return await noteWhile('deriving key from passphrase', () => vol.addPassphrase(fresh, pbkdf ? { pbkdf } : {}));
    } finally {
      wipe(fresh);
    }
  } finally {
    await vol.close();
  }
}

async function removePassphrase(f: { passphraseFile?: string }, image: string): Promise<number | undefined> {
  const passphrase = await getPassphrase(f.passphraseFile, 'Passphrase to remove: ');
  try {
    const vol = await noteWhile('deriving key from passphrase', () => Volume.open(image, { passphrase }));
    const slot = vol.keyslot;
    try {
      await vol.removePassphrase(passphrase);
      return slot;
    } finally {
      await vol.close();
    }
  } finally {
    wipe(passphrase);
  }
}

/** True when the user typed `word` at a prompt on the terminal. */
async function confirmed(prompt: string, word: string): Promise<boolean> {
  return Buffer.from(await getPassphrase(undefined, prompt)).toString() === word;
}

async function erase(f: { yes?: boolean }, image: string): Promise<string> {
  if (!f.yes) {
    if (!process.stdin.isTTY)
      throw new SectorCryptError('ERR_ARGUMENT', 'erase asks for confirmation on a terminal; pass --yes to erase without asking');
    if (!(await confirmed(`Type ERASE to destroy every key of ${image}: `, 'ERASE')))
      throw new SectorCryptError('ERR_ARGUMENT', 'not confirmed; nothing erased');
  }
  await Volume.erase(image);
  return image;
}

async function backupHeader(_f: unknown, image: string, file: string): Promise<{ image: string; file: string }> {
  await Volume.backupHeader(image, file);
  return { image, file };
}

/** Without --force, a restore that would change the header is shown and must be confirmed. */
async function restoreHeader(f: { force?: boolean }, image: string, file: string): Promise<{ image: string; file: string }> {
  let force = f.force === true;
  const differences = force ? [] : await Volume.compareHeader(image, file);
  if (differences.length > 0) {
    if (!process.stdin.isTTY) {
      throw new SectorCryptError(
        'ERR_EXISTS',
        `restoring ${file} would change the header of ${image}: ${differences.join('; ')}; pass --force to restore anyway`,
      );
    }
    process.stderr.write(`Restoring ${file} onto ${image} would change its header:\n${differences.map((d) => `  - ${d}`).join('\n')}\n`);
    if (!(await confirmed('Type YES to restore anyway: ', 'YES')))
      throw new SectorCryptError('ERR_ARGUMENT', 'not confirmed; the header was not changed');
    force = true;
  }
  await Volume.restoreHeader(image, file, { force });
  return { image, file };
}

export function registerVolume(program: Command): void {
  const volume = program
    .command('volume')
    .description('LUKS2 (cryptsetup-compatible) and plain dm-crypt volumes on files or block devices');
  registerVolumeBroker(volume);
  registerTokenPlugin(volume);

  sub(volume, 'create <image>', 'write a new LUKS2 volume (the file grows by 16 MiB of metadata)', create, views.created, (c) =>
    withPbkdf(
      c
        .requiredOption('--size <bytes>', 'data bytes (suffixes K, M, G, T)', bytes('--size'))
        .option('--sector-size <n>', '512 or 4096 (default 4096)', integer('--sector-size'))
        .option('--key-bits <n>', '256 or 512 (default 512: AES-256-XTS)', integer('--key-bits'))
        .option('--label <text>', 'header label')
        .option('--passphrase-file <file>', 'read the passphrase from this file')
        .option('--force', 'replace an existing non-empty file or a block device (its data is lost)'),
    ),
  );
  sub(
    volume,
    'open-check <image>',
    'check that the passphrase opens the volume (exit 0), without reading data',
    openCheck,
    views.openChecked,
    withOpen,
  );
  sub(
    volume,
    'info <image>',
    'show the LUKS2 header (no passphrase needed)',
    (_f, image) => Volume.inspect(image!),
    views.infoView,
    (c) => c.option('--json', 'print one JSON object'),
  );
  sub(volume, 'read <image>', 'decrypt a byte range of the volume to --out or stdout', readVolume, views.nothing, (c) =>
    withOpen(
      c
        .option('--offset <bytes>', 'first byte (default 0)', bytes('--offset'), 0)
        .option('--length <bytes>', 'bytes to read (default: to the end)', bytes('--length'))
        .option('--out <file>', 'write here instead of stdout (an existing non-empty file needs --force)')
        .option('--force', 'replace an existing --out file (never the image itself)'),
    ),
  );
  sub(volume, 'write <image>', 'encrypt --in (or stdin) into the volume at --offset', writeVolume, views.nothing, (c) =>
    withOpen(
      c
        .option('--offset <bytes>', 'first byte (default 0)', bytes('--offset'), 0)
        .option('--in <file>', 'read from this file instead of stdin')
        .option('--force', 'plain image (--key-file): write even though the file starts with a LUKS header'),
    ),
  );
  sub(volume, 'add-passphrase <image>', 'add a key slot for a new passphrase', addPassphrase, views.slotAdded, (c) =>
    withPbkdf(
      c
        .option('--passphrase-file <file>', 'an existing passphrase, from this file')
        .option('--new-passphrase-file <file>', 'the new passphrase, from this file'),
    ),
  );
  sub(
    volume,
    'remove-passphrase <image>',
    'remove the key slot this passphrase opens (never the last one)',
    removePassphrase,
    views.slotRemoved,
    (c) => c.option('--passphrase-file <file>', 'the passphrase to remove, from this file'),
  );
  sub(
    volume,
    'erase <image>',
    'crypto-erase: destroy both headers and every key slot; the data is lost for good',
    erase,
    views.erased,
    (c) => c.option('--yes', 'do not ask (required when stdin is not a terminal)'),
  );
  sub(
    volume,
    'backup-header <image> <file>',
    'copy both headers and the key slot area to a new file (mode 0600)',
    backupHeader,
    views.headerSaved,
  );
  sub(volume, 'restore-header <image> <file>', 'write a header backup back onto the volume', restoreHeader, views.headerRestored, (c) =>
    c.option('--force', "restore without asking even when it would change key slots or another UUID's header"),
  );
}
