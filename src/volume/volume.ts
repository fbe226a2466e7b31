/**
 * Volume: a LUKS2 (cryptsetup-compatible) or dm-crypt plain aes-xts-plain64 image on a
 * file or block device, read and written at any byte offset, in userspace.
 */
import { unlink } from 'node:fs/promises';
import { SectorCryptError } from '../errors.js';
import { checkOptionKeys } from '../options.js';
import { checkBytes, wipe } from '../bytes.js';
import { XtsCipher } from '../xts.js';
import { kdfParams } from '../keys/kdf.js';
import { ImageFile } from './image-file.js';
import { hasLuksMagic, readHeaders, type HeaderCopy } from './luks2-header.js';
import { readMetadata } from './luks2-metadata.js';
import { addKeyslot, removeKeyslot, unlock } from './luks2-keyslots.js';
import { formatLuks2 } from './luks2-format.js';
import { releaseSlotSecret, sealSlotSecret, sealThresholdSecret, type BrokerPublicKey, type VolumeAgent } from './broker-binding.js';
import { unbindBroker, type UnbindBrokerOptions } from './broker-unbind.js';
import { SectorStore, type StoreLayout } from './sector-store.js';
import { backupHeader, compareHeaderBackup, eraseVolume, inspectVolume, restoreHeader, type VolumeSummary } from './header-tools.js';
import {
  checkSizeOption,
  oneOf,
  passphraseBytes,
  CREATE_KEYS,
  LUKS_OPEN_KEYS,
  PLAIN_OPEN_KEYS,
  type AddPassphraseOptions,
  type BindBrokerOptions,
  type RestoreHeaderOptions,
  type PlainOpenOptions,
  type VolumeCreateOptions,
  type VolumeOpenOptions,
} from './options.js';

/** LUKS2 state kept while a volume is open: the header to rewrite and the key to seal new slots with. */
interface Luks2State {
  header: HeaderCopy;
  volumeKey: Uint8Array;
}

function luksLayout(file: ImageFile, header: HeaderCopy): StoreLayout {
  const { segment } = readMetadata(header.meta, header.hdrSize);
  if (file.size < segment.offset) {
    throw new SectorCryptError('ERR_TRUNCATED', `image is ${file.size} bytes, shorter than the data offset ${segment.offset}`);
  }
  const room = Math.floor((file.size - segment.offset) / segment.sectorSize) * segment.sectorSize;
  if (segment.size !== 'dynamic' && segment.size > room) {
    throw new SectorCryptError('ERR_TRUNCATED', `image holds ${room} data bytes, the header says ${segment.size}`);
  }
  // LUKS2 does not set dm-crypt's iv_large_sectors: plain64 counts 512-byte units whatever the
  // sector size (sector k of 4096 bytes has IV 8k), plus iv_tweak, also in 512-byte units.
  // The cipher counts in 512-byte units (ivSectorSize 512), so its sector k starts at iv_tweak / (sector_size / 512).
  const firstSector = segment.ivTweak / BigInt(segment.sectorSize / 512);
  return { offset: segment.offset, sectorSize: segment.sectorSize, size: segment.size === 'dynamic' ? room : segment.size, firstSector };
}

export class Volume {
  private closed = false;
  /** Key slot changes run one at a time: each reads the header the previous one wrote. */
  private headerQueue: Promise<unknown> = Promise.resolve();

  private constructor(
    readonly format: 'luks2' | 'plain',
    private readonly file: ImageFile,
    private readonly cipher: XtsCipher,
    private readonly store: SectorStore,
    private readonly luks?: Luks2State,
    /** The key slot the passphrase opened (LUKS2). */
    readonly keyslot?: number,
  ) {}

  /** Writes a new LUKS2 volume of `size` data bytes and returns it open. */
  static async create(path: string, opts: VolumeCreateOptions): Promise<Volume> {
    if (opts === undefined) throw new SectorCryptError('ERR_ARGUMENT', 'options must be an object');
    checkOptionKeys(opts, CREATE_KEYS, 'Volume.create options');
    const sectorSize = oneOf(opts.sectorSize, [512, 4096] as const, 4096, 'sectorSize');
    const keyBits = oneOf(opts.keyBits, [256, 512] as const, 512, 'keyBits');
    const size = checkSizeOption(opts.size, sectorSize);
    kdfParams(opts.pbkdf, new Uint8Array(32)); // bad KDF options fail before the file is touched
    if (opts.digestIterations !== undefined && (!Number.isSafeInteger(opts.digestIterations) || opts.digestIterations < 1000)) {
      throw new SectorCryptError('ERR_ARGUMENT', 'digestIterations must be an integer of at least 1000');
    }
    const passphrase = passphraseBytes(opts.passphrase);
    const { file, created } = await ImageFile.create(path, opts.overwrite === true);
    try {
      const { header, volumeKey } = await formatLuks2(file, {
        size,
        passphrase,
        sectorSize,
        keyBytes: keyBits / 8,
        ...(opts.pbkdf ? { pbkdf: opts.pbkdf } : {}),
        ...(opts.label !== undefined ? { label: opts.label } : {}),
        ...(opts.digestIterations !== undefined ? { digestIterations: opts.digestIterations } : {}),
      });
      return Volume.fromLuks(file, header, volumeKey, 0);
    } catch (err) {
      await file.close();
      // A file this call made goes again, so a failed create leaves nothing behind.
      if (created) await unlink(path).catch(() => {});
      throw err;
    } finally {
      wipe(passphrase);
    }
  }

  /** Opens a LUKS2 volume with a passphrase, or a plain dm-crypt image with its key. */
  static async open(path: string, opts: VolumeOpenOptions): Promise<Volume> {
    if (typeof opts !== 'object' || opts === null) throw new SectorCryptError('ERR_ARGUMENT', 'options must be an object');
    if (opts.format === 'plain') return Volume.openPlain(path, checkOptionKeys(opts, PLAIN_OPEN_KEYS, 'Volume.open options (plain)'));
    checkOptionKeys(opts, LUKS_OPEN_KEYS, 'Volume.open options');
    if (opts.format !== undefined && opts.format !== 'luks2') throw new SectorCryptError('ERR_ARGUMENT', 'format must be luks2 or plain');
    if ((opts.passphrase === undefined) === (opts.agent === undefined))
      throw new SectorCryptError('ERR_ARGUMENT', 'give one of passphrase and agent');
    if (opts.agent !== undefined) {
      const agent = opts.agent;
      const { secret, volume } = await Volume.withHeader(path, !opts.readOnly, (file, header) => releaseSlotSecret(file, header, agent));
      wipe(secret);
      return volume;
    }
    const passphrase = passphraseBytes(opts.passphrase);
    try {
      return (
        await Volume.withHeader(path, !opts.readOnly, async (file, header) => ({
          secret: undefined,
          unlocked: await unlock(file, header, passphrase),
        }))
      ).volume;
    } finally {
      wipe(passphrase);
    }
  }

  /** Opens the image, reads its header and opens it with what `find` unlocks; the file closes on failure. */
  private static async withHeader<S>(
    path: string,
    writable: boolean,
    find: (file: ImageFile, header: HeaderCopy) => Promise<{ secret: S; unlocked: { volumeKey: Uint8Array; slot: number } }>,
  ): Promise<{ secret: S; volume: Volume }> {
    const file = await ImageFile.open(path, { writable });
    try {
      const { current } = await readHeaders(file);
      luksLayout(file, current);
      const { secret, unlocked } = await find(file, current);
      return { secret, volume: Volume.fromLuks(file, current, unlocked.volumeKey, unlocked.slot) };
    } catch (err) {
      await file.close();
      throw err;
    }
  }

  /**
   * Releases the slot secret of a volume bound to a key broker (its sectorcrypt-broker token)
   * through `agent`, and checks that it opens its key slot. For `cryptsetup open --key-file=-`;
   * the caller wipes `secret`.
   */
  static async releaseKey(
    path: string,
    opts: { agent: VolumeAgent | VolumeAgent[]; token?: number },
  ): Promise<{ secret: Uint8Array; keyslot: number }> {
    checkOptionKeys(opts, ['agent', 'token'], 'Volume.releaseKey options');
    if (opts.token !== undefined && (!Number.isSafeInteger(opts.token) || opts.token < 0))
      throw new SectorCryptError('ERR_ARGUMENT', 'token must be a LUKS2 token number');
    const { secret, volume } = await Volume.withHeader(path, false, (file, header) =>
      releaseSlotSecret(file, header, opts.agent, opts.token),
    );
    const keyslot = volume.keyslot!;
    await volume.close();
    return { secret, keyslot };
  }

  private static fromLuks(file: ImageFile, header: HeaderCopy, volumeKey: Uint8Array, slot: number): Volume {
    const layout = luksLayout(file, header);
    const cipher = new XtsCipher(volumeKey, { sectorSize: layout.sectorSize, ivSectorSize: 512 });
    return new Volume('luks2', file, cipher, new SectorStore(file, cipher, layout), { header, volumeKey }, slot);
  }

  private static async openPlain(path: string, opts: PlainOpenOptions): Promise<Volume> {
    const key = checkBytes(opts.key, 'key');
    const sectorSize = oneOf(opts.sectorSize, [512, 1024, 2048, 4096] as const, 512, 'sectorSize');
    const offset = opts.offset ?? 0;
    if (!Number.isSafeInteger(offset) || offset < 0 || offset % 512 !== 0) {
      throw new SectorCryptError('ERR_ARGUMENT', 'offset must be a non-negative multiple of 512');
    }
    const ivSectorSize = opts.ivLargeSectors ? sectorSize : 512;
    const cipher = new XtsCipher(key, { sectorSize, ivSectorSize });
    const file = await ImageFile.open(path, { writable: !opts.readOnly }).catch((err) => {
      cipher.destroy();
      throw err;
    });
    // Plain mode writes from `offset` on; on a LUKS image that would land on its headers, key
    // slots or data encrypted under another key.
    if (file.writable && !opts.overwrite && (await hasLuksMagic(file).catch(() => false))) {
      cipher.destroy();
      await file.close();
      throw new SectorCryptError(
        'ERR_EXISTS',
        `${path} starts with a LUKS header; open it with its passphrase, or pass overwrite (CLI: --force) to write it as a plain image`,
      );
    }
    const room = Math.max(0, Math.floor((file.size - offset) / sectorSize) * sectorSize);
    let size = room;
    if (opts.size !== undefined) {
      size = checkSizeOption(opts.size, sectorSize);
      if (size > room) {
        cipher.destroy();
        await file.close();
        throw new SectorCryptError('ERR_TRUNCATED', `image holds ${room} data bytes after the offset, ${size} were asked for`);
      }
    }
    const layout: StoreLayout = { offset, sectorSize, size, firstSector: 0n };
    return new Volume('plain', file, cipher, new SectorStore(file, cipher, layout));
  }

  private live(): SectorStore {
    if (this.closed) throw new SectorCryptError('ERR_CLOSED', 'the volume is closed');
    return this.store;
  }

  /** Runs `op` after every earlier key slot change has finished. */
  private serial<T>(op: () => Promise<T>): Promise<T> {
    const run = this.headerQueue.then(op, op);
    this.headerQueue = run.catch(() => undefined);
    return run;
  }

  private luks2(): Luks2State {
    this.live();
    if (!this.luks) throw new SectorCryptError('ERR_UNSUPPORTED', 'plain volumes have no passphrases');
    if (!this.file.writable) throw new SectorCryptError('ERR_ARGUMENT', 'the volume was opened read-only');
    return this.luks;
  }

  /** Data bytes. */
  get size(): number {
    return this.store.layout.size;
  }

  get sectorSize(): number {
    return this.store.layout.sectorSize;
  }

  /** Reads `length` bytes at `position`; into `out` when given (no allocation for aligned reads). */
  async read(position: number, length: number, out?: Uint8Array): Promise<Uint8Array> {
    return this.live().read(position, length, out);
  }

  async write(position: number, data: Uint8Array): Promise<void> {
    return this.live().write(position, data);
  }

  /** Waits for writes in progress and syncs them to the disk. */
  async flush(): Promise<void> {
    return this.live().flush();
  }

  /** Flushes, closes the file and wipes the keys. */
  async close(): Promise<void> {
    if (this.closed) return;
    const store = this.live();
    this.closed = true;
    try {
      // Reads and writes in flight finish before the file closes under them.
      await store.flush(this.file.writable);
    } finally {
      this.cipher.destroy();
      wipe(this.luks?.volumeKey);
      await this.file.close();
    }
  }

  /** Adds a key slot for `passphrase`; returns its number. */
  async addPassphrase(passphrase: string | Uint8Array, opts: AddPassphraseOptions = {}): Promise<number> {
    checkOptionKeys(opts, ['pbkdf'], 'addPassphrase options');
    const luks = this.luks2();
    const bytes = passphraseBytes(passphrase);
    try {
      return await this.serial(() => addKeyslot(this.file, luks.header, luks.volumeKey, bytes, opts.pbkdf));
    } finally {
      wipe(bytes);
    }
  }

  /**
   * Binds the volume to a key broker key: a new key slot whose passphrase is a random 32-byte
   * secret, and a LUKS2 `sectorcrypt-broker` token with that secret sealed to `key`, written in
   * one header update. Returns the slot number. The secret is 256 random bits, so the slot's
   * KDF defaults to PBKDF2 at its minimum (stretching adds nothing to it).
   */
  async bindBroker(key: BrokerPublicKey, opts: BindBrokerOptions = {}): Promise<number> {
    checkOptionKeys(opts, ['pbkdf'], 'bindBroker options');
    const luks = this.luks2();
    return this.bindSealed(await sealSlotSecret(key, luks.header.uuid), opts);
  }

  /**
   * Binds the volume to k of n broker keys (docs/volumes.md "Threshold binding"): a new key
   * slot whose random 32-byte passphrase is split with Shamir's scheme, and one LUKS2
   * `sectorcrypt-threshold` token holding each share sealed to one key (bound to this volume,
   * the group and the share's place). Any k of the brokers releasing their share open it.
   */
  async bindBrokerThreshold(k: number, keys: BrokerPublicKey[], opts: BindBrokerOptions = {}): Promise<number> {
    checkOptionKeys(opts, ['pbkdf'], 'bindBrokerThreshold options');
    const luks = this.luks2();
    return this.bindSealed(await sealThresholdSecret(k, keys, luks.header.uuid), opts);
  }

  private async bindSealed(
    { secret, token }: { secret: Uint8Array; token: (slot: number) => Record<string, unknown> },
    opts: BindBrokerOptions,
  ): Promise<number> {
    const luks = this.luks2();
    try {
      return await this.serial(() =>
        addKeyslot(this.file, luks.header, luks.volumeKey, secret, opts.pbkdf ?? { type: 'pbkdf2', iterations: 1000 }, token),
      );
    } finally {
      wipe(secret);
    }
  }

  /** Removes the key slot `passphrase` opens. The last slot is kept: use Volume.erase to destroy a volume. */
  async removePassphrase(passphrase: string | Uint8Array): Promise<void> {
    const luks = this.luks2();
    const bytes = passphraseBytes(passphrase);
    try {
      await this.serial(async () => {
        const { volumeKey, slot } = await unlock(this.file, luks.header, bytes);
        wipe(volumeKey);
        if (readMetadata(luks.header.meta, luks.header.hdrSize).keyslots.length <= 1) {
          throw new SectorCryptError('ERR_ARGUMENT', 'refusing to remove the last passphrase (that would lose the data; use Volume.erase)');
        }
        await removeKeyslot(this.file, luks.header, slot);
      });
    } finally {
      wipe(bytes);
    }
  }

  /**
   * Replaces `oldPassphrase` by `newPassphrase`: the new slot is written first, then the
   * old one removed, so a crash in between leaves both working, never neither.
   */
  async changePassphrase(
    oldPassphrase: string | Uint8Array,
    newPassphrase: string | Uint8Array,
    opts: AddPassphraseOptions = {},
  ): Promise<number> {
    checkOptionKeys(opts, ['pbkdf'], 'changePassphrase options');
    const luks = this.luks2();
    const oldBytes = passphraseBytes(oldPassphrase, 'oldPassphrase');
    const newBytes = passphraseBytes(newPassphrase, 'newPassphrase');
    try {
      return await this.serial(async () => {
        const { volumeKey, slot } = await unlock(this.file, luks.header, oldBytes);
        wipe(volumeKey);
        const added = await addKeyslot(this.file, luks.header, luks.volumeKey, newBytes, opts.pbkdf);
        await removeKeyslot(this.file, luks.header, slot);
        return added;
      });
    } finally {
      wipe(oldBytes, newBytes);
    }
  }

  /**
   * Removes sectorcrypt-broker tokens (one `token`, those of `keyId`, or the only one) with
   * their key slots; the last key slot only with `force`. Returns what it removed.
   */
  static unbindBroker(path: string, opts: UnbindBrokerOptions = {}): Promise<{ tokens: number[]; keyslots: number[] }> {
    checkOptionKeys(opts, ['token', 'keyId', 'force'], 'unbindBroker options');
    if (opts.token !== undefined && (!Number.isSafeInteger(opts.token) || opts.token < 0))
      throw new SectorCryptError('ERR_ARGUMENT', 'token must be a LUKS2 token number');
    return unbindBroker(path, opts);
  }

  /** Crypto-erase: overwrites both headers and every key slot; the data can never be decrypted again. */
  static erase(path: string): Promise<void> {
    return eraseVolume(path);
  }

  /** Copies both headers and the key slot area to `file` (a new file, mode 0600). */
  static backupHeader(path: string, file: string): Promise<void> {
    return backupHeader(path, file);
  }

  /**
   * Writes a header backup back onto the volume. Refused (ERR_EXISTS, the message says what
   * would be lost) when the volume's header has another UUID, other key slots or another
   * seqid than the backup, unless `force`.
   */
  static async restoreHeader(path: string, file: string, opts: RestoreHeaderOptions = {}): Promise<void> {
    return restoreHeader(path, file, checkOptionKeys(opts, ['force'], 'restoreHeader options'));
  }

  /** What restoreHeader would change on the volume: empty when nothing would be lost. */
  static async compareHeader(path: string, file: string): Promise<string[]> {
    return compareHeaderBackup(path, file);
  }

  /** What the header says, without a passphrase. */
  static inspect(path: string): Promise<VolumeSummary> {
    return inspectVolume(path);
  }
}
