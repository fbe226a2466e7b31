/** Sector streams: equal to XtsCipher on whole buffers for any chunking; partial sectors fail last. */
import { describe, expect, it } from 'vitest';
import {
  createSectorDecryptStream,
  createSectorDecryptWebStream,
  createSectorEncryptStream,
  createSectorEncryptWebStream,
  XtsCipher,
} from '../../src/index.js';
import { expectCode, toHex } from '../bytes.js';
import { Rng } from '../rng.js';
import { pieces, randomPieces, runNode, runWeb } from './run.js';

const rng = new Rng();
const note = `seed ${rng.seed}`;

const SETUPS = [
  { sectorSize: 512, sectors: 3, firstSector: 0 },
  { sectorSize: 4096, sectors: 700, firstSector: 123456 },
  { sectorSize: 4096, ivSectorSize: 512, sectors: 300, firstSector: 2n ** 40n },
  { sectorSize: 512, sectors: 5000, firstSector: 2n ** 64n - 5001n },
  // One sector per batch: writes larger than half a batch but shorter than a sector.
  { sectorSize: 1024 * 1024, sectors: 3, firstSector: 7 },
];

describe.each(SETUPS)('sectors of $sectorSize from $firstSector', ({ sectors, ...setup }) => {
  const key = rng.bytes(64);
  const data = rng.bytes(setup.sectorSize * sectors);
  // The stream options minus firstSector are the cipher's (unknown keys are refused).
  const { firstSector, ...cipherOptions } = setup;
  const xts = new XtsCipher(key, cipherOptions);
  const expected = xts.encryptSectors(data, firstSector);
  const inputs = (bytes: Uint8Array): Iterable<Uint8Array>[] =>
    bytes.length <= 2048
      ? [[bytes], pieces(bytes, 1)]
      : [[bytes], randomPieces(bytes, 300_000, (n) => rng.int(n)), pieces(bytes, 700 * 1024)];

  it('encrypt stream equals encryptSectors, decrypt stream inverts it', async () => {
    for (const input of inputs(data)) {
      const sealed = await runNode(createSectorEncryptStream(key, setup), input);
      expect(sealed.error).toBeUndefined();
      expect(toHex(sealed.output), note).toBe(toHex(expected));
    }
    for (const input of inputs(expected)) {
      const opened = await runNode(createSectorDecryptStream(key, setup), input);
      expect(toHex(opened.output), note).toBe(toHex(data));
    }
  });

  it('Web streams do the same', async () => {
    const sealed = await runWeb(
      createSectorEncryptWebStream(key, setup),
      randomPieces(data, 100_000, (n) => rng.int(n)),
    );
    expect(toHex(sealed.output), note).toBe(toHex(expected));
    const opened = await runWeb(createSectorDecryptWebStream(key, setup), [sealed.output]);
    expect(toHex(opened.output)).toBe(toHex(data));
  });

  it('a final partial sector: every whole sector is emitted, then ERR_SECTOR_ALIGNMENT', async () => {
    const partial = new Uint8Array(Buffer.concat([data, new Uint8Array(7)]));
    const outcome = await runNode(
      createSectorEncryptStream(key, setup),
      randomPieces(partial, 50_000, (n) => rng.int(n)),
    );
    expect(outcome.error?.code).toBe('ERR_SECTOR_ALIGNMENT');
    expect(outcome.beforeError).toBe(data.length);
    expect(toHex(outcome.output)).toBe(toHex(expected));
    const web = await runWeb(createSectorDecryptWebStream(key, setup), [partial]);
    expect(web.error).toMatchObject({ code: 'ERR_SECTOR_ALIGNMENT' });
    expect(web.output.length).toBe(data.length);
  });
});

describe('sector stream arguments', () => {
  it('leaves the input buffers alone', async () => {
    const key = rng.bytes(32);
    const data = rng.bytes(3 * 1024 * 1024);
    const copy = new Uint8Array(data);
    await runNode(createSectorEncryptStream(key), [data]);
    expect(Buffer.from(data).equals(copy)).toBe(true);
  });

  it('checks key, sizes and first sector up front', () => {
    expectCode(() => createSectorEncryptStream(new Uint8Array(20)), 'ERR_KEY_LENGTH');
    expectCode(() => createSectorEncryptStream(rng.bytes(32), { firstSector: -1 }), 'ERR_ARGUMENT');
    expectCode(() => createSectorDecryptStream(rng.bytes(32), { firstSector: 1.5 }), 'ERR_ARGUMENT');
    expectCode(() => createSectorEncryptStream(rng.bytes(32), { sectorSize: 100 }), 'ERR_ARGUMENT');
  });

  it('a stream past sector 2^64-1 fails with ERR_ARGUMENT', async () => {
    const outcome = await runNode(createSectorEncryptStream(rng.bytes(32), { sectorSize: 512, firstSector: 2n ** 64n - 1n }), [
      new Uint8Array(1024),
    ]);
    expect(outcome.error).toMatchObject({ code: 'ERR_ARGUMENT' });
    expect(outcome.output.length).toBe(0);
  });
});
