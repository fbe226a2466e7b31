/** The pure-TypeScript backend (@noble/ciphers), used where the native addon is not. */
import type { Backend } from './types.js';
import { PortableXtsKey } from './portable-xts.js';
import { PortableGcmKey } from './portable-gcm.js';

export const portableBackend: Backend = {
  name: 'portable',
  kernel: 'portable',
  xtsKey: (key) => new PortableXtsKey(key),
  gcmKey: (key) => new PortableGcmKey(key),
};
