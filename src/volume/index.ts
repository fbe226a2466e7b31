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
  BindBrokerOptions,
  RestoreHeaderOptions,
} from './options.js';
export type { VolumeAgent, BrokerPublicKey } from './broker-binding.js';
export type { UnbindBrokerOptions } from './broker-unbind.js';
export type { PbkdfOptions, KdfType } from '../keys/kdf.js';
