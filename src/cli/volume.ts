/**
 * `sectorcrypt volume <sub>`: LUKS2 volumes (cryptsetup-compatible) and plain dm-crypt
 * images on files or block devices. Passphrases come from --passphrase-file or a prompt.
 */
import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Command } from 'commander';
import { Volume } from '../volume/index.js';
import type { PbkdfOptions } from '../keys/kdf.js';
import { wipe } from '../bytes.js';
import { SectorCryptError } from '../errors.js';
import { fsError, withFsErrors } from '../fs-errors.js';
import { createProgress, formatSummary, noteWhile } from './progress.js';
import { getPassphrase } from './passphrase.js';
import { checkOutputTarget, isSameFile, openOutputFile, restoreIfInterrupted, stdoutOutput } from './output.js';
import { registerVolumeBroker } from './volume-broker.js';
import { registerTokenPlugin } from './volume-token-plugin.js';
import { bytes, integer } from './args.js';

const CHUNK = 1024 * 1024;

interface PbkdfFlags {
  pbkdf?: 'argon2id' | 'argon2i' | 'pbkdf2';
  pbkdfMemory?: number;
  pbkdfTime?: number;
  pbkdfParallel?: number;
  pbkdfIterations?: number;
}

function withPbkdf(cmd: Command): Command {
  return cmd
    .option('--pbkdf <type>', 'key slot KDF: argon2id (default), argon2i or pbkdf2')
    .option('--pbkdf-memory <KiB>', 'argon2 memory in KiB (default 262144)', integer('--pbkdf-memory'))
    .option('--pbkdf-time <n>', 'argon2 passes (default 4)', integer('--pbkdf-time'))
    .option('--pbkdf-parallel <n>', 'argon2 lanes (default 4)', integer('--pbkdf-parallel'))
    .option('--pbkdf-iterations <n>', 'pbkdf2 iterations (default 1000000)', integer('--pbkdf-iterations'));
}

function pbkdfOf(f: PbkdfFlags): PbkdfOptions | undefined {
  if (!f.pbkdf && f.pbkdfMemory === undefined && f.pbkdfTime === undefined && f.pbkdfParallel === undefined && f.pbkdfIterations === undefined) {
    return undefined;
  }
  return {
    ...(f.pbkdf ? { type: f.pbkdf } : {}),
    ...(f.pbkdfMemory !== undefined ? { memory: f.pbkdfMemory } : {}),
    ...(f.pbkdfTime !== undefined ? { time: f.pbkdfTime } : {}),
    ...(f.pbkdfParallel !== undefined ? { parallel: f.pbkdfParallel } : {}),
    ...(f.pbkdfIterations !== undefined ? { iterations: f.pbkdfIterations } : {}),
  };
}

interface OpenFlags {
  passphraseFile?: string;
  keyFile?: string;
  sectorSize?: number;
  dataOffset?: number;
  ivLargeSectors?: boolean;
  force?: boolean;
}

/** Opens a LUKS2 volume with a passphrase, or a plain image when --key-file is given. */
async function openVolume(image: string, f: OpenFlags, readOnly: boolean): Promise<Volume> {
  if (f.keyFile !== undefined && f.passphraseFile !== undefined) {
    throw new SectorCryptError('ERR_ARGUMENT', '--key-file (a plain image) and --passphrase-file (a LUKS2 volume) exclude each other; give one');
  }
  if (f.keyFile) {
    const keyFile = f.keyFile;
    const key = new Uint8Array(await withFsErrors(keyFile, 'read key file', () => readFile(keyFile)));
    try {
      return await Volume.open(image, {
        key,
        format: 'plain',
        readOnly,
        ...(f.force ? { overwrite: true } : {}),
        ...(f.sectorSize ? { sectorSize: f.sectorSize as 512 } : {}),
        ...(f.dataOffset !== undefined ? { offset: f.dataOffset } : {}),
        ...(f.ivLargeSectors ? { ivLargeSectors: true } : {}),
      });
    } finally {
      wipe(key);
    }
  }
  const passphrase = await getPassphrase(f.passphraseFile, `Passphrase for ${image}: `);
  try {
    return await noteWhile('deriving key from passphrase', () => Volume.open(image, { passphrase, readOnly }));
  } finally {
    wipe(passphrase);
  }
}

function withOpen(cmd: Command): Command {
  return cmd
    .option('--passphrase-file <file>', 'read the passphrase from this file (all of its bytes, as cryptsetup --key-file)')
    .option('--key-file <file>', 'plain dm-crypt image: the raw aes-xts key (32 or 64 bytes) in this file')
    .option('--sector-size <n>', 'plain image: sector size (default 512)', integer('--sector-size'))
    .option('--data-offset <bytes>', 'plain image: bytes before the data (default 0)', bytes('--data-offset'))
    .option('--iv-large-sectors', 'plain image: IV counts sectors, not 512-byte units');
}

export function registerVolume(program: Command): void {
  const volume = program.command('volume').description('LUKS2 (cryptsetup-compatible) and plain dm-crypt volumes on files or block devices');
  registerVolumeBroker(volume);
  registerTokenPlugin(volume);

  withPbkdf(
    volume
      .command('create <image>')
      .description('write a new LUKS2 volume (the file grows by 16 MiB of metadata)')
      .requiredOption('--size <bytes>', 'data bytes (suffixes K, M, G, T)', bytes('--size'))
      .option('--sector-size <n>', '512 or 4096 (default 4096)', integer('--sector-size'))
      .option('--key-bits <n>', '256 or 512 (default 512: AES-256-XTS)', integer('--key-bits'))
      .option('--label <text>', 'header label')
      .option('--passphrase-file <file>', 'read the passphrase from this file')
      .option('--force', 'replace an existing non-empty file or a block device (its data is lost)'),
  ).action(async (image: string, f: PbkdfFlags & { size: number; sectorSize?: number; keyBits?: number; label?: string; passphraseFile?: string; force?: boolean }) => {
    // Refused before the passphrase prompt; Volume.create checks again when it opens the file.
    const existing = await checkOutputTarget(image, { force: f.force === true });
    const passphrase = await getPassphrase(f.passphraseFile, 'New passphrase: ', true);
    // A file this run makes goes again if it is interrupted (the KDF takes seconds).
    const made = restoreIfInterrupted(image, existing);
    try {
      const pbkdf = pbkdfOf(f);
      const vol = await noteWhile('deriving key from passphrase', () => Volume.create(image, {
        size: f.size,
        passphrase,
        ...(f.force ? { overwrite: true } : {}),
        ...(f.sectorSize ? { sectorSize: f.sectorSize as 4096 } : {}),
        ...(f.keyBits ? { keyBits: f.keyBits as 512 } : {}),
        ...(f.label ? { label: f.label } : {}),
        ...(pbkdf ? { pbkdf } : {}),
      }));
      await vol.close();
      process.stdout.write(`created ${image}: ${f.size} data bytes, key slot 0\n`);
    } finally {
      made.forget();
      wipe(passphrase);
    }
  });

  withOpen(volume.command('open-check <image>').description('check that the passphrase opens the volume (exit 0), without reading data')).action(
    async (image: string, f: OpenFlags) => {
      const vol = await openVolume(image, f, true);
      process.stdout.write(vol.keyslot !== undefined ? `ok: key slot ${vol.keyslot} opens ${image}\n` : `ok: ${image}\n`);
      await vol.close();
    },
  );

  volume
    .command('info <image>')
    .description('show the LUKS2 header (no passphrase needed)')
    .option('--json', 'print one JSON object')
    .action(async (image: string, f: { json?: boolean }) => {
      const info = await Volume.inspect(image);
      if (f.json) {
        process.stdout.write(`${JSON.stringify(info, null, 2)}\n`);
        return;
      }
      const lines = [
        `format:      LUKS2`,
        `uuid:        ${info.uuid}`,
        `label:       ${info.label || '(none)'}`,
        `cipher:      ${info.cipher}, ${info.keyBits}-bit key, ${info.sectorSize}-byte sectors`,
        `data:        ${info.dataSize} bytes from offset ${info.dataOffset}`,
        `key slots:   ${info.keyslots.map((k) => `${k.slot} (${k.kdf})`).join(', ') || 'none'}`,
        ...info.tokens.map((t) => `token ${t.token}:     ${t.type}, key slots ${t.keyslots.join(', ') || 'none'}${t.keyId ? `, broker key ${t.keyId} version ${t.version}` : ''}`),
        ...info.problems.map((p) => `warning:     ${p}`),
      ];
      process.stdout.write(`${lines.join('\n')}\n`);
    });

  withOpen(
    volume
      .command('read <image>')
      .description('decrypt a byte range of the volume to --out or stdout')
      .option('--offset <bytes>', 'first byte (default 0)', bytes('--offset'), 0)
      .option('--length <bytes>', 'bytes to read (default: to the end)', bytes('--length'))
      .option('--out <file>', 'write here instead of stdout (an existing non-empty file needs --force)')
      .option('--force', 'replace an existing --out file (never the image itself)'),
  ).action(async (image: string, f: OpenFlags & { offset: number; length?: number; out?: string }) => {
    // --force here also allows replacing --out; it never lets the output be the image itself.
    const output = f.out ? await openOutputFile(f.out, { mode: 0o600, force: f.force === true, inputs: [image] }) : stdoutOutput();
    let vol: Volume;
    try {
      vol = await openVolume(image, { ...f, force: false }, true);
    } catch (err) {
      await output.discard();
      throw err;
    }
    const progress = createProgress();
    const started = Date.now();
    let done = 0;
    try {
      const length = f.length ?? Math.max(0, vol.size - f.offset);
      const volume = vol;
      async function* pieces(): AsyncGenerator<Uint8Array> {
        while (done < length) {
          const n = Math.min(CHUNK, length - done);
          const data = await volume.read(f.offset + done, n);
          done += n;
          progress.update(done, length, 'read');
          yield data;
        }
      }
      // pipeline: back-pressure, and a write error (a full disk) ends the run; stdout stays open.
      await pipeline(Readable.from(pieces()), output.stream);
      await output.commit();
      progress.stop(formatSummary('read', done, (Date.now() - started) / 1000));
    } catch (err) {
      progress.stop();
      await output.discard();
      throw f.out ? fsError(err, f.out, 'write') : err;
    } finally {
      await vol.close();
    }
  });

  withOpen(
    volume
      .command('write <image>')
      .description('encrypt --in (or stdin) into the volume at --offset')
      .option('--offset <bytes>', 'first byte (default 0)', bytes('--offset'), 0)
      .option('--in <file>', 'read from this file instead of stdin')
      .option('--force', 'plain image (--key-file): write even though the file starts with a LUKS header'),
  ).action(async (image: string, f: OpenFlags & { offset: number; in?: string }) => {
    if (!f.in && f.passphraseFile === undefined && !f.keyFile) {
      throw new SectorCryptError('ERR_ARGUMENT', 'stdin carries the data: give --passphrase-file (or --in)');
    }
    if (f.in && isSameFile(f.in, image)) throw new SectorCryptError('ERR_ARGUMENT', `--in ${f.in} is the image itself`);
    const vol = await openVolume(image, f, false);
    const progress = createProgress();
    let done = 0;
    try {
      const input = f.in ? createReadStream(f.in, { highWaterMark: CHUNK }) : process.stdin;
      try {
        for await (const piece of input as AsyncIterable<Buffer>) {
          await vol.write(f.offset + done, piece);
          done += piece.length;
          progress.update(done, vol.size - f.offset, 'written');
        }
      } catch (err) {
        throw f.in ? fsError(err, f.in, 'read') : err;
      }
      await vol.flush();
      progress.stop();
      process.stderr.write(`wrote ${done} bytes at offset ${f.offset}\n`);
    } finally {
      progress.stop();
      await vol.close();
    }
  });

  withPbkdf(
    volume
      .command('add-passphrase <image>')
      .description('add a key slot for a new passphrase')
      .option('--passphrase-file <file>', 'an existing passphrase, from this file')
      .option('--new-passphrase-file <file>', 'the new passphrase, from this file'),
  ).action(async (image: string, f: PbkdfFlags & { passphraseFile?: string; newPassphraseFile?: string }) => {
    const vol = await openVolume(image, { ...(f.passphraseFile ? { passphraseFile: f.passphraseFile } : {}) }, false);
    try {
      const fresh = await getPassphrase(f.newPassphraseFile, 'New passphrase: ', true);
      const pbkdf = pbkdfOf(f);
      try {
        const slot = await noteWhile('deriving key from passphrase', () => vol.addPassphrase(fresh, pbkdf ? { pbkdf } : {}));
        process.stdout.write(`added key slot ${slot}\n`);
      } finally {
        wipe(fresh);
      }
    } finally {
      await vol.close();
    }
  });

  volume
    .command('remove-passphrase <image>')
    .description('remove the key slot this passphrase opens (never the last one)')
    .option('--passphrase-file <file>', 'the passphrase to remove, from this file')
    .action(async (image: string, f: { passphraseFile?: string }) => {
      const passphrase = await getPassphrase(f.passphraseFile, 'Passphrase to remove: ');
      try {
        const vol = await noteWhile('deriving key from passphrase', () => Volume.open(image, { passphrase }));
        const slot = vol.keyslot;
        try {
          await vol.removePassphrase(passphrase);
        } finally {
          await vol.close();
        }
        process.stdout.write(`removed key slot ${slot}\n`);
      } finally {
        wipe(passphrase);
      }
    });

  volume
    .command('erase <image>')
    .description('crypto-erase: destroy both headers and every key slot; the data is lost for good')
    .option('--yes', 'do not ask (required when stdin is not a terminal)')
    .action(async (image: string, f: { yes?: boolean }) => {
      if (!f.yes) {
        if (!process.stdin.isTTY) throw new SectorCryptError('ERR_ARGUMENT', 'erase asks for confirmation on a terminal; pass --yes to erase without asking');
        const answer = await getPassphrase(undefined, `Type ERASE to destroy every key of ${image}: `);
        if (Buffer.from(answer).toString() !== 'ERASE') throw new SectorCryptError('ERR_ARGUMENT', 'not confirmed; nothing erased');
      }
      await Volume.erase(image);
      process.stdout.write(`erased the headers and key slots of ${image}\n`);
    });

  volume
    .command('backup-header <image> <file>')
    .description('copy both headers and the key slot area to a new file (mode 0600)')
    .action(async (image: string, file: string) => {
      await Volume.backupHeader(image, file);
      process.stdout.write(`header of ${image} saved to ${file}\n`);
    });

  volume
    .command('restore-header <image> <file>')
    .description('write a header backup back onto the volume')
    .option('--force', 'restore without asking even when it would change key slots or another UUID\'s header')
    .action(async (image: string, file: string, f: { force?: boolean }) => {
      let force = f.force === true;
      if (!force) {
        const differences = await Volume.compareHeader(image, file);
        if (differences.length > 0) {
          const what = differences.map((d) => `  - ${d}`).join('\n');
          if (!process.stdin.isTTY) {
            throw new SectorCryptError('ERR_EXISTS', `restoring ${file} would change the header of ${image}: ${differences.join('; ')}; pass --force to restore anyway`);
          }
          process.stderr.write(`Restoring ${file} onto ${image} would change its header:\n${what}\n`);
          const answer = await getPassphrase(undefined, 'Type YES to restore anyway: ');
          if (Buffer.from(answer).toString() !== 'YES') throw new SectorCryptError('ERR_ARGUMENT', 'not confirmed; the header was not changed');
          force = true;
        }
      }
      await Volume.restoreHeader(image, file, { force });
      process.stdout.write(`header of ${image} restored from ${file}\n`);
    });
}
