/**
 * The fields of enrolled devices that never change after enrollment (public key, tenant,
 * name, groups, enrollment time, whether it has a TPM), kept in memory so that a signed request costs no lookup
 * before its signature is checked. Revocation does change, and is read from the database
 * on every request, together with the nonce (agent-signature.ts).
 */
export interface DeviceIdentity {
  id: string;
  tenantId: string;
  name: string;
  groups: string[];
  publicKey: Uint8Array;
  enrolledAt: string;
  /** Enrolled with a TPM: it releases only with a quote from its AK (devices/tpm.ts). */
  tpm: boolean;
}

export class DeviceCache {
  readonly #limit: number;
  readonly #held = new Map<string, DeviceIdentity>();
  constructor(limit = 65_536) {
    this.#limit = limit;
  }

  get(id: string): DeviceIdentity | undefined {
    return this.#held.get(id);
  }

  set(device: DeviceIdentity): void {
    // The oldest entry goes first; a device that asks again is looked up again.
    if (this.#held.size >= this.#limit && !this.#held.has(device.id)) this.#held.delete(this.#held.keys().next().value!);
    this.#held.set(device.id, device);
  }
}
