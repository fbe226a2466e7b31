/** Volumes: LUKS2 and dm-crypt plain images. */
export { Volume } from './volume.js';
export type { VolumeSummary } from './header-tools.js';
export type {
  Passphrase,
  VolumeCreateOptions,
  VolumeOpenOptions,
  LuksOpenOptions,
  PlainOpenOptions,
  AddPassphraseOptions,
  RestoreHeaderOptions,
} from './options.js';
export type { PbkdfOptions, KdfType } from '../keys/kdf.js';
