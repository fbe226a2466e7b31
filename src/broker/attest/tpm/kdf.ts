/**
 * The TPM's key derivation functions (TPM 2.0 Part 1 §11.4.10): KDFa (SP 800-108 counter
 * mode with HMAC) and KDFe (SP 800-56A concatenation KDF).
 */
import { createHash, createHmac } from 'node:crypto';
import { HASHES } from './alg.js';
import { concatBytes, u32be } from './reader.js';

/** A label with its terminating zero octet (Part 1 §11.4.10.1: "Label ... including the NUL"). */
function label0(label: string): Uint8Array {
  return concatBytes(new TextEncoder().encode(label), new Uint8Array([0]));
}

/** KDFa(hashAlg, key, label, contextU, contextV, bits), Part 1 §11.4.10.2. */
export function kdfa(
  hashAlg: number,
  key: Uint8Array,
  label: string,
  contextU: Uint8Array,
  contextV: Uint8Array,
  bits: number,
): Uint8Array {
  const h = HASHES[hashAlg]!;
  const bytes = (bits + 7) >> 3;
  const out = new Uint8Array(Math.ceil(bytes / h.size) * h.size);
  for (let i = 1, at = 0; at < bytes; i++, at += h.size) {
    const block = createHmac(h.name, key)
      .update(u32be(i))
      .update(label0(label))
      .update(contextU)
      .update(contextV)
      .update(u32be(bits))
      .digest();
    out.set(block, at);
  }
  return out.subarray(0, bytes);
}

/** KDFe(hashAlg, Z, label, partyU, partyV, bits), Part 1 §11.4.10.3. */
export function kdfe(hashAlg: number, z: Uint8Array, label: string, partyU: Uint8Array, partyV: Uint8Array, bits: number): Uint8Array {
  const h = HASHES[hashAlg]!;
  const bytes = (bits + 7) >> 3;
  const out = new Uint8Array(Math.ceil(bytes / h.size) * h.size);
  for (let i = 1, at = 0; at < bytes; i++, at += h.size) {
    out.set(createHash(h.name).update(u32be(i)).update(z).update(label0(label)).update(partyU).update(partyV).digest(), at);
  }
  return out.subarray(0, bytes);
}
