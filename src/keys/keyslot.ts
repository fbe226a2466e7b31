/**
 * Sealing a volume key into a LUKS2 key slot area and opening it again: the passphrase
 * goes through the slot's KDF, the key through the AF splitter, and the split material is
 * encrypted with aes-xts-plain64 in 512-byte sectors numbered from 0 at the area start.
 */
import { SectorCryptError } from '../errors.js';
import { wipe } from '../bytes.js';
import { XtsCipher } from '../xts.js';
import { afMerge, afSplit } from './af.js';
import { deriveKey, type KdfParams } from './kdf.js';

export const AF_STRIPES = 4000;
export const AF_HASH = 'sha256';
const AREA_SECTOR = 512;

/** Bytes the split key takes, rounded up to whole 4096-byte blocks as cryptsetup does. */
export function keyslotAreaSize(keySize: number, stripes = AF_STRIPES): number {
  return Math.ceil((keySize * stripes) / 4096) * 4096;
}

function roundToSector(n: number): number {
  return Math.ceil(n / AREA_SECTOR) * AREA_SECTOR;
}

function areaCipher(key: Uint8Array): XtsCipher {
  try {
    return new XtsCipher(key, { sectorSize: AREA_SECTOR });
  } finally {
    wipe(key);
  }
}

/** Returns the encrypted area content (keySize * stripes bytes rounded up to a sector). */
export async function sealKeyslot(volumeKey: Uint8Array, passphrase: Uint8Array, kdf: KdfParams, areaKeySize: number): Promise<Uint8Array> {
  const split = afSplit(volumeKey, AF_STRIPES, AF_HASH);
  const material = new Uint8Array(roundToSector(split.length));
  material.set(split);
  wipe(split);
  const cipher = areaCipher(await deriveKey(passphrase, kdf, areaKeySize));
  try {
    return await cipher.encryptSectorsAsync(material, 0, material);
  } finally {
    cipher.destroy();
  }
}

export interface KeyslotShape {
  keySize: number;
  stripes: number;
  afHash: string;
  areaKeySize: number;
  kdf: KdfParams;
}

/** The candidate volume key that `passphrase` unlocks from `area`; the caller checks it against the digest. */
export async function openKeyslot(slot: KeyslotShape, passphrase: Uint8Array, area: Uint8Array): Promise<Uint8Array> {
  const length = roundToSector(slot.keySize * slot.stripes);
  if (area.length < length) throw new SectorCryptError('ERR_TRUNCATED', 'key slot area is shorter than its key material');
  const cipher = areaCipher(await deriveKey(passphrase, slot.kdf, slot.areaKeySize));
  const plain = new Uint8Array(length);
  try {
    await cipher.decryptSectorsAsync(area.subarray(0, length), 0, plain);
    return afMerge(plain, slot.keySize, slot.stripes, slot.afHash);
  } finally {
    cipher.destroy();
    wipe(plain);
  }
}
