/**
 * Interop with cryptsetup (Debian cryptsetup-bin): images it makes open here, images made
 * here pass its checks, data that cryptsetup itself encrypted (offline reencrypt) reads back,
 * and the data area sectorcrypt writes matches dm-crypt's aes-xts-plain64 computed
 * with node:crypto from the volume key cryptsetup dumps.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { Volume } from '../../src/index.js';
import {
  CHEAP,
  CHEAP_CREATE,
  CHEAP_PBKDF2,
  CS_CHEAP_ARGON,
  CS_CHEAP_PBKDF2,
  DATA_OFFSET,
  MiB,
  cryptsetup,
  cryptsetupMissing,
  dumpVolumeKey,
  expectSameBytes,
  luksFormat,
  referenceDecrypt,
  rejectsWith,
  scratchDir,
} from './helpers.js';
import { describeWithTool } from '../tools.js';

describeWithTool('cryptsetup', cryptsetupMissing(), 'cryptsetup interop', () => {
  const tmp = scratchDir();
  afterAll(() => tmp.cleanup());

  /** Writes random data through sectorcrypt and returns what the image holds after the data offset. */
  async function writeThrough(vol: Volume, length: number): Promise<Uint8Array> {
    const data = new Uint8Array(randomBytes(length));
    await vol.write(0, data);
    await vol.close();
    return data;
  }

  function dataArea(image: string, length: number): Uint8Array {
    return new Uint8Array(readFileSync(image).subarray(DATA_OFFSET, DATA_OFFSET + length));
  }

  describe('images made by cryptsetup luksFormat', () => {
    for (const [name, extra, sectorSize, keyBytes] of [
      ['argon2id, defaults (4096-byte sectors, 512-bit key)', CS_CHEAP_ARGON, 4096, 64],
      ['pbkdf2, 512-byte sectors, 256-bit key', [...CS_CHEAP_PBKDF2, '--sector-size', '512', '--key-size', '256'], 512, 32],
      [
        'argon2i, 4096-byte sectors',
        ['--pbkdf', 'argon2i', '--pbkdf-memory', '32', '--pbkdf-force-iterations', '4', '--pbkdf-parallel', '1'],
        4096,
        64,
      ],
    ] as const) {
      it(`${name}: opens with the passphrase, refuses a wrong one, data matches dm-crypt`, async () => {
        const image = tmp.path(`cs-${sectorSize}-${keyBytes}-${Math.random()}.img`);
        luksFormat(image, 'correct horse', tmp.dir, [...extra]);
        await rejectsWith(Volume.open(image, { passphrase: 'wrong horse' }), 'ERR_AUTH');
        const vol = await Volume.open(image, { passphrase: 'correct horse' });
        expect(vol.size).toBe(2 * MiB);
        expect(vol.sectorSize).toBe(sectorSize);
        expect(vol.keyslot).toBe(0);
        const data = await writeThrough(vol, 64 * 1024);
        const key = dumpVolumeKey(image, 'correct horse', tmp.dir);
        expect(key.length).toBe(keyBytes);
        // dm-crypt's plain64 for LUKS2 counts 512-byte units (no iv_large_sectors), whatever the sector size.
        expectSameBytes(referenceDecrypt(key, dataArea(image, data.length), sectorSize, false), data);
        if (sectorSize === 4096) {
          // Proof the rule matters: counting in 4096-byte units would not decrypt sector 1 on.
          const wrongRule = referenceDecrypt(key, dataArea(image, data.length), sectorSize, true);
          expect(Buffer.from(wrongRule.subarray(4096)).equals(Buffer.from(data.subarray(4096)))).toBe(false);
        }
      });
    }

    for (const sectorSize of [512, 4096]) {
      // cryptsetup's own encryption, not our reading of the spec: this is what settles the IV rule.
      it(`data encrypted by cryptsetup itself (offline reencrypt --encrypt, ${sectorSize}-byte sectors) reads back as the plaintext`, async () => {
        const image = tmp.path(`cs-reencrypt-${sectorSize}.img`);
        const plain = new Uint8Array(randomBytes(MiB));
        // The plaintext first, then room for the header that reencrypt moves the data behind.
        writeFileSync(image, Buffer.concat([plain, Buffer.alloc(2 * DATA_OFFSET)]));
        const r = cryptsetup(
          [
            'reencrypt',
            '--encrypt',
            '--type',
            'luks2',
            '--sector-size',
            String(sectorSize),
            '--reduce-device-size',
            '32M',
            ...CS_CHEAP_PBKDF2,
            image,
          ],
          'converted',
          tmp.dir,
        );
        expect(r.status, r.out).toBe(0);
        const vol = await Volume.open(image, { passphrase: 'converted', readOnly: true });
        expect(vol.sectorSize).toBe(sectorSize);
        expectSameBytes(await vol.read(0, plain.length), plain);
        await vol.close();
      });
    }

    it('key slots added by cryptsetup luksAddKey open too, each reports its slot', async () => {
      const image = tmp.path('cs-addkey.img');
      luksFormat(image, 'first', tmp.dir, CS_CHEAP_ARGON);
      const newKey = tmp.path('newkey');
      writeFileSync(newKey, 'second', { mode: 0o600 });
      const r = cryptsetup(['luksAddKey', ...CS_CHEAP_PBKDF2, image, newKey], 'first', tmp.dir);
      expect(r.status, r.out).toBe(0);
      const a = await Volume.open(image, { passphrase: 'first' });
      const b = await Volume.open(image, { passphrase: 'second', readOnly: true });
      expect([a.keyslot, b.keyslot]).toEqual([0, 1]);
      await a.write(4096, new TextEncoder().encode('shared'));
      await a.close();
      // b opened before the write; a read now sees the new bytes from the file.
      expect(new TextDecoder().decode(await b.read(4096, 6))).toBe('shared');
      await b.close();
      await rejectsWith(Volume.open(image, { passphrase: 'third' }), 'ERR_AUTH');
    });

    it('other metadata and key slot area sizes: opens, takes new slots until the area is full', async () => {
      const image = tmp.path('cs-layout.img');
      luksFormat(image, 'first', tmp.dir, [...CS_CHEAP_PBKDF2, '--luks2-metadata-size', '64k', '--luks2-keyslots-size', '1m']);
      const vol = await Volume.open(image, { passphrase: 'first' });
      const info = await Volume.inspect(image);
      expect(info.headerSize).toBe(64 * 1024);
      // 1 MiB holds four 258048-byte slots: slot 0 and three more.
      for (const p of ['two', 'three', 'four']) await vol.addPassphrase(p, { pbkdf: CHEAP_PBKDF2 });
      await rejectsWith(vol.addPassphrase('five', { pbkdf: CHEAP_PBKDF2 }), 'ERR_NO_KEYSLOT');
      await vol.close();
      for (const p of ['first', 'two', 'three', 'four']) {
        const r = cryptsetup(['open', '--test-passphrase', image], p, tmp.dir);
        expect(r.status, `${p}: ${r.out}`).toBe(0);
      }
    });

    it('refuses what it does not support with ERR_UNSUPPORTED: LUKS1, other ciphers, reencryption (tokens are kept)', async () => {
      const luks1 = tmp.path('luks1.img');
      luksFormat(luks1, 'pw', tmp.dir, ['--type', 'luks1', '--pbkdf', 'pbkdf2', '--pbkdf-force-iterations', '1000']);
      await rejectsWith(Volume.open(luks1, { passphrase: 'pw' }), 'ERR_UNSUPPORTED');

      const cbc = tmp.path('cbc.img');
      luksFormat(cbc, 'pw', tmp.dir, [...CS_CHEAP_PBKDF2, '--cipher', 'aes-cbc-essiv:sha256', '--key-size', '256']);
      const err = await rejectsWith(Volume.open(cbc, { passphrase: 'pw' }), 'ERR_UNSUPPORTED');
      expect(err.message).toMatch(/aes-cbc-essiv/);

      const token = tmp.path('token.img');
      luksFormat(token, 'pw', tmp.dir, CS_CHEAP_PBKDF2);
      const tokenJson = tmp.path('token.json');
      writeFileSync(tokenJson, JSON.stringify({ type: 'x-sectorcrypt-test', keyslots: [] }));
      expect(cryptsetup(['token', 'import', '--json-file', tokenJson, token]).status).toBe(0);
      // Tokens of other types are kept as they are, as cryptsetup keeps them.
      const withToken = await Volume.open(token, { passphrase: 'pw' });
      await withToken.addPassphrase('more', { pbkdf: CHEAP_PBKDF2 });
      await withToken.close();
      expect(cryptsetup(['luksDump', token]).out).toMatch(/x-sectorcrypt-test/);

      const reenc = tmp.path('reenc.img');
      luksFormat(reenc, 'pw', tmp.dir, CS_CHEAP_PBKDF2);
      const r = cryptsetup(['reencrypt', '--init-only', ...CS_CHEAP_PBKDF2, reenc], 'pw', tmp.dir);
      expect(r.status, r.out).toBe(0);
      await rejectsWith(Volume.open(reenc, { passphrase: 'pw' }), 'ERR_UNSUPPORTED');
    });
  });

  describe('images made by sectorcrypt', () => {
    for (const [sectorSize, keyBits] of [
      [4096, 512],
      [512, 256],
    ] as const) {
      it(`${sectorSize}-byte sectors, ${keyBits}-bit key: luksDump, --test-passphrase for every slot, dm-crypt data`, async () => {
        const image = tmp.path(`sc-${sectorSize}.img`);
        const vol = await Volume.create(image, { size: 2 * MiB, passphrase: 'alpha', sectorSize, keyBits, ...CHEAP_CREATE });
        expect(await vol.addPassphrase('beta', { pbkdf: CHEAP_PBKDF2 })).toBe(1);
        expect(await vol.addPassphrase('gamma', { pbkdf: { ...CHEAP, type: 'argon2i' } })).toBe(2);
        await vol.removePassphrase('beta');
        const data = await writeThrough(vol, 40 * 1024);

        const dump = cryptsetup(['luksDump', image]);
        expect(dump.status, dump.out).toBe(0);
        expect(dump.out).toMatch(new RegExp(`sector:\\s+${sectorSize} \\[bytes\\]`));
        expect(dump.out).toMatch(/cipher: aes-xts-plain64/);
        expect(dump.out).toMatch(/PBKDF:\s+argon2id/);
        expect(dump.out).toMatch(/PBKDF:\s+argon2i\b/);
        expect(dump.out).not.toMatch(/^\s+1: luks2/m);
        for (const p of ['alpha', 'gamma']) {
          const r = cryptsetup(['open', '--test-passphrase', image], p, tmp.dir);
          expect(r.status, `${p}: ${r.out}`).toBe(0);
        }
        for (const p of ['beta', 'delta']) {
          expect(cryptsetup(['open', '--test-passphrase', image], p, tmp.dir).status, p).not.toBe(0);
        }
        const key = dumpVolumeKey(image, 'gamma', tmp.dir);
        expect(key.length).toBe(keyBits / 8);
        expectSameBytes(referenceDecrypt(key, dataArea(image, data.length), sectorSize, false), data);
      });
    }

    it('changePassphrase: cryptsetup accepts the new one and refuses the old', async () => {
      const image = tmp.path('sc-change.img');
      const vol = await Volume.create(image, { size: MiB, passphrase: 'old', ...CHEAP_CREATE });
      await vol.changePassphrase('old', 'new', { pbkdf: CHEAP });
      await vol.close();
      expect(cryptsetup(['open', '--test-passphrase', image], 'new', tmp.dir).status).toBe(0);
      expect(cryptsetup(['open', '--test-passphrase', image], 'old', tmp.dir).status).not.toBe(0);
    });

    it('cryptsetup can add and kill slots on a sectorcrypt image, and sectorcrypt follows', async () => {
      const image = tmp.path('sc-cs-slots.img');
      await (await Volume.create(image, { size: MiB, passphrase: 'one', ...CHEAP_CREATE })).close();
      const newKey = tmp.path('k2');
      writeFileSync(newKey, 'two', { mode: 0o600 });
      expect(cryptsetup(['luksAddKey', ...CS_CHEAP_ARGON, image, newKey], 'one', tmp.dir).status).toBe(0);
      const vol = await Volume.open(image, { passphrase: 'two' });
      expect(vol.keyslot).toBe(1);
      expect(await vol.addPassphrase('three', { pbkdf: CHEAP })).toBe(2);
      await vol.close();
      expect(cryptsetup(['luksKillSlot', image, '0'], 'two', tmp.dir).status).toBe(0);
      await rejectsWith(Volume.open(image, { passphrase: 'one' }), 'ERR_AUTH');
      expect(cryptsetup(['open', '--test-passphrase', image], 'three', tmp.dir).status).toBe(0);
      await (await Volume.open(image, { passphrase: 'three' })).close();
    });

    it('the secondary header alone satisfies cryptsetup (primary wiped)', async () => {
      const image = tmp.path('sc-secondary.img');
      await (await Volume.create(image, { size: MiB, passphrase: 'pw', ...CHEAP_CREATE })).close();
      const bytes = readFileSync(image);
      bytes.fill(0, 0, 4096);
      writeFileSync(image, bytes);
      const r = cryptsetup(['open', '--test-passphrase', image], 'pw', tmp.dir);
      expect(r.status, r.out).toBe(0);
    });

    it('Volume.erase leaves nothing cryptsetup recognises', async () => {
      const image = tmp.path('sc-erase.img');
      await (await Volume.create(image, { size: MiB, passphrase: 'pw', ...CHEAP_CREATE })).close();
      await Volume.erase(image);
      expect(cryptsetup(['isLuks', image]).status).not.toBe(0);
      expect(cryptsetup(['open', '--test-passphrase', image], 'pw', tmp.dir).status).not.toBe(0);
    });

    it('a header backup made by sectorcrypt restores with cryptsetup luksHeaderRestore', async () => {
      const image = tmp.path('sc-backup.img');
      await (await Volume.create(image, { size: MiB, passphrase: 'pw', ...CHEAP_CREATE })).close();
      const backup = tmp.path('sc-backup.hdr');
      await Volume.backupHeader(image, backup);
      const bytes = readFileSync(image);
      bytes.fill(0, 0, DATA_OFFSET);
      writeFileSync(image, bytes);
      const r = cryptsetup(['luksHeaderRestore', image, '--header-backup-file', backup]);
      expect(r.status, r.out).toBe(0);
      expect(cryptsetup(['open', '--test-passphrase', image], 'pw', tmp.dir).status).toBe(0);
    });
  });
});
