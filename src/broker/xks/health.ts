/**
 * The GetHealthStatus answer (xks_proxy_api_spec.md "GetHealthStatus"): the broker is both the
 * proxy and the key manager. The check is deep: a test key (never a customer's) encrypts and
 * decrypts once; the database answered the keystore's lookup already.
 */
import { randomBytes } from 'node:crypto';
import { decrypt, encrypt } from './gcm.js';

export interface HealthAnswer {
  xksProxyFleetSize: number;
  xksProxyVendor: string;
  xksProxyModel: string;
  ekmVendor: string;
  ekmFleetDetails: { id: string; model: string; healthStatus: 'ACTIVE' | 'DEGRADED' | 'UNAVAILABLE' }[];
}

export const XKS_VENDOR = 'sectorcrypt';

/** Encrypts and decrypts a random block under a random test key. */
export function cryptoWorks(): boolean {
  const key = randomBytes(32);
  const data = randomBytes(32);
  try {
    const s = encrypt(key, data, data);
    const back = decrypt(key, s, data);
    const ok = Buffer.compare(back, data) === 0;
    back.fill(0);
    return ok;
  } catch {
    return false;
  } finally {
    key.fill(0);
  }
}

/** "GetHealthStatus": every field required, one key manager (this broker: its keys are its own). */
export function healthAnswer(): HealthAnswer {
  return {
    xksProxyFleetSize: 1,
    xksProxyVendor: XKS_VENDOR,
    xksProxyModel: 'sectorcrypt key broker, XKS API v1',
    ekmVendor: XKS_VENDOR,
    ekmFleetDetails: [
      { id: 'broker', model: 'sectorcrypt key broker, AES-256-GCM in software', healthStatus: cryptoWorks() ? 'ACTIVE' : 'UNAVAILABLE' },
    ],
  };
}
